/** Statistics as table columns after Compute All Statistics, and the flags that find a broken tensor in one click. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorController, type CoreApi } from '../../src/extension/inspectorController';
import type { TensorStats } from '../../src/core/model';
import { DEFAULT_QUERY } from '../../src/shared/tableModel';
import { formatStat, rowStatsOf } from '../../src/shared/rowStats';
import { sampleCheckpoint } from './ext-fixtures';

const stats = (p: Partial<TensorStats>): TensorStats => ({ count: 4, min: -1, max: 1, mean: 0, std: 0.5, nan: 0, inf: 0, zeros: 0, histogram: null, ...p });

test('flags: NaN/Inf, all zeros, constant (std 0), exploding (|value| > 1e4); integers never explode', () => {
  assert.deepEqual(rowStatsOf(stats({}), 'float32').flags, []);
  assert.deepEqual(rowStatsOf(stats({ nan: 2, inf: 1 }), 'float32').flags, ['nan', 'inf']);
  assert.deepEqual(rowStatsOf(stats({ zeros: 4, min: 0, max: 0, std: 0 }), 'float32').flags, ['zeros']);
  assert.deepEqual(rowStatsOf(stats({ min: 1, max: 1, mean: 1, std: 0 }), 'float16').flags, ['dead']);
  assert.deepEqual(rowStatsOf(stats({ count: 1, min: 3, max: 3, std: null }), 'float32').flags, [], 'one element is not dead');
  assert.deepEqual(rowStatsOf(stats({ max: 2e4 }), 'bfloat16').flags, ['exploding']);
  assert.deepEqual(rowStatsOf(stats({ min: -2e4 }), 'float32').flags, ['exploding']);
  assert.deepEqual(rowStatsOf(stats({ max: 5e5, min: 5e5, std: 0 }), 'int64').flags, [], 'num_batches_tracked is not exploding');
  assert.equal(rowStatsOf(stats({ zeros: 1 }), 'float32').zerosPct, 25);
  assert.deepEqual([formatStat(0.123456), formatStat(-12345.6), formatStat(123456), formatStat(1e-5), formatStat(null)], ['0.1235', '-12350', '1.235e+5', '1e-5', '']);
});

/** sampleCheckpoint with statistics per tensor: a NaN in conv.bias, zeros in running_mean, an exploding fc.weight */
function setup() {
  const byName: Record<string, TensorStats> = {
    'model.conv.bias': stats({ nan: 1 }),
    'model.bn.running_mean': stats({ zeros: 4, min: 0, max: 0, std: 0 }),
    'model.fc.weight': stats({ max: 3e4, std: 9000 }),
  };
  const core: CoreApi = {
    open: async () => sampleCheckpoint(),
    stats: async (t) => byName[t.name] ?? stats({ std: 0.25 }),
    slice: async () => ({ shape: [], values: new Float64Array(0), truncated: false, total: 0 }),
  };
  const c = new InspectorController({ kind: 'file', path: '/tmp/sample.pt', uri: 'file:///tmp/sample.pt' }, core, () => undefined, { maxSliceElements: 16384 });
  return { c };
}

test('after Compute All Statistics: the columns show, sort, and flag:>0 keeps the broken tensors', async () => {
  const { c } = setup();
  await c.load();
  const flat = { ...DEFAULT_QUERY, grouped: false };
  assert.ok(!c.page(flat, 0, 50).columns.includes('min'), 'no statistics columns before statistics');
  await c.computeAllStats(new AbortController().signal, () => undefined);
  const page = c.page(flat, 0, 50);
  for (const col of ['min', 'max', 'mean', 'std', 'naninf', 'zeros', 'flags']) assert.ok(page.columns.includes(col), `${col} column shown`);
  const row = page.items.find((i) => i.kind === 'tensor' && i.row.name === 'model.fc.weight');
  assert.ok(row?.kind === 'tensor' && row.row.stats?.max === 3e4);
  // the last tensor of the sample is the same elements as conv.bias (same storage, offset and shape): its
  // statistics are computed once and shared, so it is flagged with it
  const nanView = '<img src=x onerror=alert(1)>';
  assert.deepEqual(c.suspicious(), ['model.conv.bias', 'model.bn.running_mean', 'model.fc.weight', nanView]);

  // the getPage request's handler (the protocol around it: ext-controller.test.ts)
  const names = async (query: typeof flat, _id: number) => c.page(query, 0, 50).items.map((i) => (i.kind === 'tensor' ? i.row.name : i.prefix));
  assert.deepEqual(await names({ ...flat, filter: 'flag:>0' }, 3), ['model.conv.bias', 'model.bn.running_mean', 'model.fc.weight', nanView]);
  assert.deepEqual(await names({ ...flat, filter: 'flag:nan' }, 4), ['model.conv.bias', nanView]);
  assert.deepEqual(await names({ ...flat, filter: 'flag:exploding' }, 5), ['model.fc.weight']);
  assert.deepEqual(await names({ ...flat, filter: 'max:>1e4' }, 6), ['model.fc.weight']);
  assert.deepEqual(await names({ ...flat, filter: 'naninf:>0' }, 7), ['model.conv.bias', nanView]);
  const byStd = await names({ ...flat, sort: { column: 'std', descending: true } }, 8);
  assert.equal(byStd[0], 'model.fc.weight');
  assert.equal(byStd[byStd.length - 1], 'model.bn.running_mean', 'std 0 sorts last descending');
});
