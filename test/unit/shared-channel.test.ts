/**
 * Requests as promises (src/shared/channel.ts): each settles once — on its reply, its error reply, or its abort —
 * and leaves no handler behind, whatever order replies, errors, progress, cancels and stray messages come in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CancelledError, RequestClient, RequestError, RequestServer, defineProtocol, parseFromHost, parseFromView, type FromHost, type FromView,
} from '../../src/shared/channel';
import { nat, obj, str } from '../../src/shared/schema';
import { errorMessage } from '../../src/core/errors';

const P = defineProtocol({
  requests: {
    echo: { params: obj({ text: str(), delay: nat() }), result: obj({ text: str() }) },
    fail: { params: obj({ why: str() }), result: obj({}) },
  },
  fromView: {},
  toView: {},
});
type Proto = typeof P;

/** client and server joined through JSON and the border checks, delivering messages asynchronously */
function pair() {
  const toHost: FromView<Proto>[] = [];
  const toView: FromHost<Proto>[] = [];
  let server!: RequestServer<Proto>;
  const client = new RequestClient<Proto>((m) => {
    toHost.push(m);
    const parsed = parseFromView(P, JSON.parse(JSON.stringify(m)));
    assert.ok(parsed.ok);
    setImmediate(() => { if (parsed.ok) void server.handle(parsed.message); });
  });
  server = new RequestServer<Proto>({
    echo: async ({ text, delay }, { signal, progress }) => {
      for (let i = 0; i < delay; i++) {
        if (signal.aborted) throw new Error('aborted');
        progress(i / delay);
        await new Promise((r) => setImmediate(r));
      }
      return { text };
    },
    fail: ({ why }) => { throw new Error(why); },
  }, (m) => {
    toView.push(m);
    const parsed = parseFromHost(P, JSON.parse(JSON.stringify(m)));
    assert.ok(parsed.ok);
    setImmediate(() => { if (parsed.ok) client.receive(parsed.message); });
  }, (e) => errorMessage(e));
  return { client, server, toHost, toView };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

test('replies resolve, error replies reject, aborts reject: every request settles once and leaves nothing behind', async () => {
  const { client, server, toView } = pair();
  const outcomes: string[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    const abort = new AbortController();
    const kind = i % 4;
    const p: Promise<{ text?: string }> = kind === 1 ? client.request('fail', { why: `no ${i}` }) : client.request('echo', { text: `t${i}`, delay: i % 7 }, { signal: abort.signal });
    if (kind === 2) abort.abort(); // at once
    if (kind === 3) setTimeout(() => abort.abort(), i % 3); // racing the reply
    let settled = 0;
    all.push(p.then(
      (r) => { settled++; outcomes.push(`ok ${r.text}`); },
      (e: Error) => { settled++; outcomes.push(e instanceof CancelledError ? 'cancelled' : e instanceof RequestError ? `error ${e.message}` : `other ${e.message}`); },
    ).then(() => assert.equal(settled, 1)));
  }
  assert.ok(client.pendingCount > 0);
  await Promise.all(all);
  await settle();
  assert.equal(outcomes.length, 60);
  assert.equal(outcomes.filter((o) => o.startsWith('other')).length, 0);
  assert.equal(outcomes.filter((o) => o.startsWith('error no')).length, 15, 'error replies settle their request');
  assert.ok(outcomes.filter((o) => o === 'cancelled').length >= 15);
  assert.equal(client.pendingCount, 0, 'no handler outlives its request');
  assert.equal(server.runningCount, 0, 'no work outlives its request');
  // a cancelled request is never answered with an error for the cancel itself
  assert.ok(!toView.some((m) => m.kind === 'error' && m.message === 'aborted'));
});

test('stray, late and mistyped replies settle nothing they should not', async () => {
  const sent: FromView<Proto>[] = [];
  const client = new RequestClient<Proto>((m) => sent.push(m));
  const p = client.request('echo', { text: 'a', delay: 0 });
  const q = client.request('fail', { why: 'x' });
  const [a, b] = sent.map((m) => (m.kind === 'request' ? m.requestId : -1));
  assert.equal(client.receive({ kind: 'reply', type: 'echo', inReplyTo: 999, result: { text: 'stray' } }), true);
  assert.equal(client.receive({ kind: 'progress', inReplyTo: a, fraction: 0.5 }), true);
  assert.equal(client.pendingCount, 2, 'progress and strays settle nothing');
  client.receive({ kind: 'reply', type: 'echo', inReplyTo: b, result: { text: 'wrong' } });
  await assert.rejects(q, /a echo reply to a fail request/);
  client.receive({ kind: 'reply', type: 'echo', inReplyTo: a, result: { text: 'a' } });
  assert.deepEqual(await p, { text: 'a' });
  client.receive({ kind: 'reply', type: 'echo', inReplyTo: a, result: { text: 'again' } });
  assert.equal(client.pendingCount, 0);
  const r = client.request('echo', { text: 'b', delay: 0 });
  client.rejectAll('the host went away');
  await assert.rejects(r, /the host went away/);
  assert.equal(client.pendingCount, 0);
  await assert.rejects(client.request('echo', { text: 'c', delay: 0 }, { signal: AbortSignal.abort() }), CancelledError);
  assert.equal(client.pendingCount, 0, 'an already aborted request is never sent');
});
