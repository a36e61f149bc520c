/**
 * ViewWork (src/core/viewWork.ts): identical views of a shared storage computed once, the reading bounded by
 * the stored bytes, results kept only for shared storages; and its use by computeStatsMany.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ViewWork, isSkipped, viewIdentity } from '../../src/core/viewWork';
import { bufferSource } from '../../src/core/byteSource';
import { contiguousStrides } from '../../src/core/layout';
import type { StorageInfo, TensorInfo } from '../../src/core/model';
import { computeStatsMany } from '../../src/core/stats';

function storageOf(n: number, key = 's'): StorageInfo {
  const data = new Float32Array(n).map((_, i) => i);
  return { key, dtype: 'float32', bytes: n * 4, device: 'cpu', byteOrder: 'little', source: bufferSource(new Uint8Array(data.buffer)) };
}

function view(name: string, storage: StorageInfo, shape: number[], offset = 0, stride = contiguousStrides(shape)): TensorInfo {
  return { name, dtype: 'float32', shape, stride, storageOffset: offset, contiguous: true, memoryFormat: 'contiguous', layout: 'strided', device: 'cpu', requiresGrad: false, storage };
}

test('identical views of one storage run once; other views of it run apart', async () => {
  const s = storageOf(100);
  const ts = [view('a', s, [10]), view('b', s, [10]), view('c', s, [10], 5)];
  assert.equal(viewIdentity(ts[0]), viewIdentity(ts[1]));
  assert.notEqual(viewIdentity(ts[0]), viewIdentity(ts[2]));
  const work = new ViewWork(ts);
  let runs = 0;
  const results = await Promise.all(ts.map((t) => work.run([t], async () => ++runs)));
  assert.equal(runs, 2);
  assert.deepEqual(results, [1, 1, 2]);
});

test('the same storage key in two byte sources (two files) is two storages', () => {
  const a = view('w', storageOf(4), [4]);
  const b = view('w', storageOf(4), [4]);
  assert.notEqual(viewIdentity(a), viewIdentity(b));
});

test('overlapping views stop at factor × the stored bytes + floor, and say why', async () => {
  const s = storageOf(1000); // 4000 bytes stored
  const windows = Array.from({ length: 100 }, (_, i) => view(`w${i}`, s, [500], i));
  const work = new ViewWork(windows, { factor: 2, floor: 0 }); // 8000 bytes: four windows of 2000
  const results = await Promise.all(windows.map((t) => work.run([t], async () => t.name)));
  assert.deepEqual(results.slice(0, 4), ['w0', 'w1', 'w2', 'w3']);
  assert.ok(results.slice(4).every(isSkipped));
  const r = results[4];
  assert.ok(isSkipped(r) && /overlapping views/.test(r.skipped));
  // a view seen before is still answered past the bound
  assert.equal(await work.run([windows[0]], async () => 'again'), 'w0');
});

test('a failed run is not kept: the next name for the view tries again', async () => {
  const s = storageOf(10);
  const ts = [view('a', s, [10]), view('b', s, [10])];
  const work = new ViewWork(ts);
  await assert.rejects(work.run([ts[0]], async () => { throw new Error('boom'); }));
  assert.equal(await work.run([ts[1]], async () => 'ok'), 'ok');
});

test('computeStatsMany: 2,000 names for one view are read once, distinct windows past the bound are reported', async () => {
  const s = storageOf(1 << 16);
  const same = Array.from({ length: 2000 }, (_, i) => view(`t${i}`, s, [1 << 16]));
  const r = await computeStatsMany(same, { workers: false });
  assert.ok(r.every((x) => !(x instanceof Error) && x.count === 1 << 16 && x.max === (1 << 16) - 1));
  const windows = Array.from({ length: 50 }, (_, i) => view(`w${i}`, s, [1 << 15], i));
  const bounded = await computeStatsMany(windows, { workers: false, work: new ViewWork(windows, { factor: 2, floor: 0 }) });
  const skipped = bounded.filter((x) => x instanceof Error);
  assert.equal(bounded.length - skipped.length, 4);
  assert.match((skipped[0] as Error).message, /overlapping views have re-read their storages/);
});

test('storages of different keys over one byte source are one storage (npz members listed twice over one entry)', async () => {
  const a = storageOf(100, 'a.npy');
  const b: StorageInfo = { ...a, key: 'b.npy' };
  const ts = [view('a', a, [100]), view('b', b, [100])];
  assert.equal(viewIdentity(ts[0]), viewIdentity(ts[1]));
  const work = new ViewWork(ts);
  let runs = 0;
  await Promise.all(ts.map((t) => work.run([t], async () => ++runs)));
  assert.equal(runs, 1);
});
