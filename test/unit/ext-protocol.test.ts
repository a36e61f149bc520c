import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPARE, GRAPH, INSPECTOR, isInspectorState, type InspectorFromView } from '../../src/shared/protocol';
import { parseFromHost, parseFromView } from '../../src/shared/channel';
import { DEFAULT_QUERY, tableQuery } from '../../src/shared/tableModel';
import { parse } from '../../src/shared/schema';

const query = { filter: 'conv', sort: { column: 'bytes', descending: true }, grouped: true, collapsed: ['layer1'] };
const request = (type: string, requestId: number, params: unknown) => ({ kind: 'request', type, requestId, params });
const note = (type: string, body: unknown) => ({ kind: 'note', type, body });
const fromView = (x: unknown): InspectorFromView | null => { const r = parseFromView(INSPECTOR, x); return r.ok ? r.message : null; };

test('valid webview messages narrow to their declared type', () => {
  assert.deepEqual(fromView(request('getPage', 3, { query, start: 0, count: 200 })), request('getPage', 3, { query, start: 0, count: 200 }));
  assert.deepEqual(fromView(request('getPage', 3, { query, start: 0, count: 200, focus: 'a.b' })), request('getPage', 3, { query, start: 0, count: 200, focus: 'a.b' }));
  assert.deepEqual(fromView(request('computeStats', 1, { name: 'w' })), request('computeStats', 1, { name: 'w' }));
  assert.deepEqual(fromView({ kind: 'cancel', inReplyTo: 9 }), { kind: 'cancel', inReplyTo: 9 });
  assert.deepEqual(fromView(note('command', { command: 'computeAllStats' })), note('command', { command: 'computeAllStats' }));
  assert.deepEqual(fromView(note('ready', { state: null })), note('ready', { state: null }));
  assert.deepEqual(fromView(request('getDetails', 1, { name: 'w', extra: '<script>' })), request('getDetails', 1, { name: 'w' }), 'undeclared keys are dropped');
});

test('malformed webview messages are dropped, with the reason', () => {
  for (const bad of [
    null, 42, 'ready', [], {}, { kind: 'request', type: 'nope', requestId: 1, params: {} }, { type: 'getPage', requestId: 1 },
    request('getPage', -1, { query, start: 0, count: 10 }),
    request('getPage', 1, { query, start: 0, count: 5000 }),
    request('getPage', 1, { query: { ...query, sort: { column: 'evil', descending: false } }, start: 0, count: 10 }),
    request('getPage', 1, { query: { ...query, filter: 7 }, start: 0, count: 10 }),
    request('getPage', 1, { query, start: 0.5, count: 10 }),
    request('getPage', 1, { query, start: 0, count: 10, focus: 3 }),
    request('getDetails', 1, {}),
    request('getValues', 1, { name: 'x', expr: '[0]', maxElements: 1e9 }),
    request('toString', 1, {}), request('__proto__', 1, {}),
    note('command', { command: 'rm -rf' }),
    note('log', { level: 'debug', message: 'x' }),
    note('copy', { text: 5 }),
    { kind: 'cancel', inReplyTo: 'x' },
  ]) assert.equal(fromView(bad), null, JSON.stringify(bad));
  const r = parseFromView(INSPECTOR, request('getPage', 1, { query: { ...query, filter: 7 }, start: 0, count: 10 }));
  assert.ok(!r.ok && /getPage params: query\.filter: expected a string/.test(r.error), r.ok ? '' : r.error);
});

test('a ready message with a broken state is accepted without the state', () => {
  assert.deepEqual(fromView(note('ready', { state: { uri: 1 } })), note('ready', { state: null }));
});

test('inspector state and query validation', () => {
  const s = { uri: 'file:///a.pt', view: 'details', query: DEFAULT_QUERY, scrollTop: 10, selected: 'a', details: null, sliceExpr: '[0]' };
  assert.ok(isInspectorState(s));
  assert.ok(!isInspectorState({ ...s, view: 'html' }));
  assert.ok(!isInspectorState({ ...s, scrollTop: -1 }));
  assert.ok(parse(tableQuery, DEFAULT_QUERY).ok);
  assert.ok(!parse(tableQuery, { ...DEFAULT_QUERY, collapsed: [1] }).ok);
});

test('host messages are checked before the webview uses them: replies against their request\'s declaration', () => {
  const ok = (x: unknown) => parseFromHost(INSPECTOR, x).ok;
  assert.ok(ok({ kind: 'reply', type: 'getPage', inReplyTo: 1, result: { queryKey: 'k', start: 0, total: 3, matched: 3, items: [], columns: ['name'] } }));
  assert.ok(!ok({ kind: 'reply', type: 'getPage', inReplyTo: 1, result: { start: 0, total: 3 } }));
  assert.ok(ok({ kind: 'reply', type: 'computeStats', inReplyTo: 1, result: { name: 'x', stats: {} } }));
  assert.ok(ok({ kind: 'error', inReplyTo: 4, message: 'no tensor named x' }));
  assert.ok(!ok({ kind: 'error', inReplyTo: 4 }));
  assert.ok(ok({ kind: 'progress', inReplyTo: 4, fraction: 0.5 }));
  assert.ok(!ok(note('reveal', {})));
  assert.ok(ok(note('reveal', { name: 'a' })));
  assert.ok(!ok(note('unknown', {})));
  assert.ok(!ok(undefined));
});

test('the graph and compare webviews speak through the same module', () => {
  assert.ok(parseFromView(GRAPH, note('rendered', { nodes: 3, ms: 1.5 })).ok);
  assert.ok(!parseFromView(GRAPH, note('export', { format: 'png' })).ok);
  assert.ok(!parseFromView(GRAPH, request('getPage', 1, {})).ok, 'a request another protocol declares');
  assert.ok(parseFromHost(GRAPH, note('graph', { title: 't', expr: 'x', graph: { nodes: [] } })).ok);
  assert.ok(parseFromView(COMPARE, request('getReport', 1, {})).ok);
});
