import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorController, type CoreApi } from '../../src/extension/inspectorController';
import { readSlice } from '../../src/core/values';
import type { HostMessage } from '../../src/shared/protocol';
import { DEFAULT_QUERY, queryKey } from '../../src/shared/tableModel';
import type { Checkpoint, TensorStats } from '../../src/core/model';
import { sampleCheckpoint } from './ext-fixtures';

const fakeStats: TensorStats = { count: 2, min: -0.5, max: 0.5, mean: 0, std: 0.7071, nan: 0, inf: 0, zeros: 0, histogram: { min: -0.5, max: 0.5, counts: [1, 1] } };

function setup(open: () => Promise<Checkpoint> = async () => sampleCheckpoint(), stats?: CoreApi['stats']) {
  const sent: HostMessage[] = [];
  const core: CoreApi = {
    open: () => open(),
    stats: stats ?? (async () => fakeStats),
    slice: async (t, expr, max, signal) => {
      const r = await readSlice(t, expr, max, { signal });
      return { shape: r.shape, values: r.values, truncated: r.truncated, total: r.total };
    },
  };
  const c = new InspectorController({ kind: 'file', path: '/tmp/sample.pt', uri: 'file:///tmp/sample.pt' }, core, (m) => sent.push(m), { maxSliceElements: 16384 });
  const last = <T extends HostMessage['type']>(type: T) => [...sent].reverse().find((m) => m.type === type) as Extract<HostMessage, { type: T }>;
  return { c, sent, last };
}

test('load sends loading then init with summary, content and optimizer map', async () => {
  const { c, sent, last } = setup();
  assert.equal(await c.load(), true);
  assert.deepEqual(sent.map((m) => m.type), ['loading', 'init']);
  const init = last('init');
  assert.equal(init.tensorCount, 7);
  assert.equal(init.file.name, 'sample.pt');
  assert.equal(init.file.generation, 1);
  assert.equal(init.summary.format, 'torch-zip');
  assert.equal(init.optimizers[0].names['0'], 'model.conv.weight');
  assert.equal(init.firstPage?.total, 12, 'the grouped table comes with init');
  assert.equal(init.firstPage?.items[0].kind, 'group');
});

test('after a re-read, the first page is computed for the query the webview used last', async () => {
  const { c, last } = setup();
  await c.load();
  const query = { ...DEFAULT_QUERY, filter: 'fc', grouped: false };
  await c.handle({ type: 'getPage', requestId: 1, query, start: 0, count: 200 });
  await c.load();
  const fp = last('init').firstPage;
  assert.equal(fp?.queryKey, queryKey(query));
  assert.deepEqual(fp?.items.map((i) => (i.kind === 'tensor' ? i.row.name : '')), ['model.fc.weight', 'model.fc_t']);
});

test('pages: only the requested window travels, focus finds a tensor', async () => {
  const { c, last } = setup();
  await c.load();
  await c.handle({ type: 'getPage', requestId: 5, query: { ...DEFAULT_QUERY, grouped: false }, start: 2, count: 3 });
  const p = last('page');
  assert.equal(p.requestId, 5);
  assert.equal(p.total, 7);
  assert.equal(p.matched, 7);
  assert.equal(p.start, 2);
  await c.handle({ type: 'getPage', requestId: 10, query: { ...DEFAULT_QUERY, filter: 'weight', collapsed: ['model'] }, start: 0, count: 50 });
  // conv.weight's exp_avg shows as optimizer.state[conv.weight].exp_avg, which the filter finds too
  assert.equal(last('page').matched, 3, 'tensors inside a collapsed group still count as matches');
  assert.deepEqual(p.items.map((i) => (i.kind === 'tensor' ? i.row.name : i.prefix)), ['model.bn.running_mean', 'model.fc.weight', 'model.fc_t']);
  await c.handle({ type: 'getPage', requestId: 6, query: DEFAULT_QUERY, start: 0, count: 4, focus: 'optimizer.state.0.exp_avg' });
  const f = last('page');
  assert.equal(f.focusIndex, 10);
  assert.equal(f.start, 8);
  const item = f.items[f.focusIndex! - f.start];
  assert.ok(item.kind === 'tensor' && item.row.name === 'optimizer.state.0.exp_avg');
});

test('details: storage sharing and stride explanation', async () => {
  const { c, last } = setup();
  await c.load();
  await c.handle({ type: 'getDetails', requestId: 1, name: 'model.fc_t' });
  const d = last('details').details;
  assert.equal(d.explanation.verdict, 'transposed / permuted');
  assert.deepEqual(d.sharing.map((s) => s.name), ['model.fc.weight']);
  assert.equal(d.storage?.numel, 12);
  assert.equal(d.suggestedSlice, '[:, :]');
  await c.handle({ type: 'getDetails', requestId: 2, name: 'missing' });
  assert.equal(last('error').message, 'no tensor named missing');
});

test('values: a slice of a transposed view reads the right elements', async () => {
  const { c, last } = setup();
  await c.load();
  await c.handle({ type: 'getValues', requestId: 3, name: 'model.fc_t', expr: '[1:3, -1]', maxElements: 100 });
  const v = last('values').values;
  // fc = arange(12) - 6 as (3, 4); fc_t = fc.T (4, 3); fc_t[1:3, -1] = fc[2, 1:3] = [3, 4]
  assert.deepEqual(v.values, [3, 4]);
  assert.deepEqual(v.shape, [2]);
  assert.equal(v.expr, '[1:3, 2]');
  await c.handle({ type: 'getValues', requestId: 4, name: 'model.fc_t', expr: '[9]', maxElements: 100 });
  assert.match(last('error').message, /out of bounds/);
});

test('statistics: cached, progress relayed, cancellable', async () => {
  let calls = 0;
  const { c, last, sent } = setup(undefined, (t, o) => new Promise((resolve, reject) => {
    calls++;
    if (t.name === 'slow') return;
    if (t.name === 'model.fc.weight') {
      o.signal.addEventListener('abort', () => reject(new Error('aborted')));
      return;
    }
    o.onProgress?.(0.5);
    resolve(fakeStats);
  }));
  await c.load();
  await c.handle({ type: 'computeStats', requestId: 7, name: 'model.conv.bias' });
  assert.equal(last('stats').stats.max, 0.5);
  assert.ok(sent.some((m) => m.type === 'statsProgress' && m.fraction === 0.5));
  await c.handle({ type: 'computeStats', requestId: 8, name: 'model.conv.bias' });
  assert.equal(calls, 1, 'second request served from the cache');
  const pending = c.handle({ type: 'computeStats', requestId: 9, name: 'model.fc.weight' });
  await c.handle({ type: 'cancel', requestId: 9 });
  await pending;
  const err = last('error');
  assert.equal(err.requestId, 9);
  assert.equal(err.message, 'cancelled');
});

test('re-reading keeps going; a broken file is a fatal message, not a throw', async () => {
  let n = 0;
  const { c, last } = setup(async () => { if (++n === 2) throw new Error('truncated zip'); return sampleCheckpoint(); });
  await c.load();
  assert.equal(await c.load(), false);
  assert.equal(last('fatal').message, 'truncated zip');
  assert.equal(await c.load(), true);
  assert.equal(last('init').file.generation, 2);
});

test('compute all statistics: progress per tensor, stops on abort', async () => {
  const { c } = setup();
  await c.load();
  const seen: number[] = [];
  const r = await c.computeAllStats(new AbortController().signal, (done) => seen.push(done));
  assert.equal(r.done, 7);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
  const a = new AbortController();
  const r2 = await c.computeAllStats(a.signal, (done) => { if (done === 2) a.abort(); });
  assert.equal(r2.done, 2);
});
