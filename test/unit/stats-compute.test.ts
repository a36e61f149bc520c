/**
 * computeStats: accuracy against a naive float64 two-pass reference, every dtype family, NaN/Inf, views,
 * quantized, worker threads (the .ts worker through tsx), progress and cancellation.
 */
import path from 'node:path';
process.env.TENSORSCOPE_STATS_WORKER = path.resolve(__dirname, '..', '..', 'src', 'core', 'stats', 'statsWorker.ts');

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, computeStatsMany, statsJson, StatsPool, PARALLEL_MIN_ELEMENTS } from '../../src/core/stats';
import { HISTOGRAM_BINS } from '../../src/core/stats/kernel';
import { bufferSource } from '../../src/core/byteSource';
import type { QuantInfo, TensorInfo } from '../../src/core/model';
import type { DTypeName } from '../../src/core/dtype';
import { contiguousStrides } from '../../src/core/layout';

after(() => StatsPool.shutdown());

function tensorOf(bytes: Uint8Array, dtype: DTypeName, shape: number[], extra: Partial<TensorInfo> = {}, byteOrder: 'little' | 'big' = 'little'): TensorInfo {
  return {
    name: 't', dtype, shape, stride: contiguousStrides(shape), storageOffset: 0, contiguous: true, memoryFormat: 'contiguous',
    layout: 'strided', device: 'cpu', requiresGrad: false,
    storage: { key: 's', dtype, bytes: bytes.length, device: 'cpu', byteOrder, source: bufferSource(bytes) },
    ...extra,
  };
}
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Reference: float64 two-pass over finite values, exact 64-bin histogram like numpy's. */
function reference(values: ArrayLike<number>) {
  let nan = 0; let inf = 0; let zeros = 0;
  const fin: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else { fin.push(v); if (v === 0) zeros++; }
  }
  if (!fin.length) return { min: null, max: null, mean: null, std: null, nan, inf, zeros, hist: null };
  let min = Infinity; let max = -Infinity; let sum = 0;
  for (const v of fin) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  const mean = sum / fin.length;
  let ss = 0;
  for (const v of fin) ss += (v - mean) ** 2;
  const std = fin.length > 1 ? Math.sqrt(ss / (fin.length - 1)) : 0;
  const hist = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of fin) {
    const b = max > min ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((v - min) / (max - min)) * HISTOGRAM_BINS)) : 0;
    hist[b]++;
  }
  return { min, max, mean, std, nan, inf, zeros, hist };
}

function near(a: number | null, b: number | null, rel: number, what: string) {
  if (b === null) { assert.equal(a, null, what); return; }
  assert.ok(a !== null, `${what}: null`);
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

function check(got: Awaited<ReturnType<typeof computeStats>>, values: ArrayLike<number>, what: string, histL1 = 0, rel = 1e-9) {
  const r = reference(values);
  near(got.min, r.min, 0, `${what} min`);
  near(got.max, r.max, 0, `${what} max`);
  near(got.mean, r.mean, rel, `${what} mean`);
  near(got.std, r.std, rel, `${what} std`);
  assert.equal(got.nan, r.nan, `${what} nan`);
  assert.equal(got.inf, r.inf, `${what} inf`);
  assert.equal(got.zeros, r.zeros, `${what} zeros`);
  assert.equal(got.count, values.length, `${what} count`);
  if (r.hist) {
    assert.ok(got.histogram, `${what} histogram`);
    const l1 = got.histogram.counts.reduce((a, c, i) => a + Math.abs(c - (r.hist as number[])[i]), 0);
    assert.ok(l1 <= histL1, `${what}: histogram off by ${l1} (allowed ${histL1})`);
  } else assert.equal(got.histogram, null);
}

let seed = 42;
const rand = () => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646; };
const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

test('float32 / float64 with NaN, ±Inf, zeros; offset data stays accurate', async () => {
  const f = Float32Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? 0 : normal()));
  f[3] = NaN; f[10] = Infinity; f[11] = -Infinity;
  check(await computeStats(tensorOf(bytesOf(f), 'float32', [50, 100]), { workers: false }), f, 'f32');
  const d = Float64Array.from({ length: 3000 }, () => 1e8 + normal());
  check(await computeStats(tensorOf(bytesOf(d), 'float64', [3000]), { workers: false }), d, 'offset f64', 0, 1e-12);
  const allNan = new Float32Array([NaN, NaN, Infinity]);
  const s = await computeStats(tensorOf(bytesOf(allNan), 'float32', [3]), { workers: false });
  assert.deepEqual([s.min, s.mean, s.std, s.nan, s.inf, s.histogram], [null, null, null, 2, 1, null]);
  const one = await computeStats(tensorOf(bytesOf(new Float32Array([3.5])), 'float32', []), { workers: false });
  assert.deepEqual([one.min, one.max, one.mean, one.std], [3.5, 3.5, 3.5, 0]);
  const empty = await computeStats(tensorOf(new Uint8Array(0), 'float32', [0, 7]));
  assert.equal(empty.count, 0);
  assert.equal(statsJson(empty, 'float32'), null);
});

test('integer, bool, 64-bit, big-endian and half types', async () => {
  const i8 = Int8Array.from([-128, -1, 0, 5, 127]);
  check(await computeStats(tensorOf(bytesOf(i8), 'int8', [5])), i8, 'int8');
  const u16 = Uint16Array.from([0, 65535, 300]);
  check(await computeStats(tensorOf(bytesOf(u16), 'uint16', [3])), u16, 'uint16');
  const i64 = new BigInt64Array([-(2n ** 40n), 0n, 7n, 2n ** 45n]);
  check(await computeStats(tensorOf(bytesOf(i64), 'int64', [4])), Array.from(i64, Number), 'int64');
  const u64 = new BigUint64Array([0n, 2n ** 60n]);
  check(await computeStats(tensorOf(bytesOf(u64), 'uint64', [2])), Array.from(u64, Number), 'uint64');
  const b = Uint8Array.from([1, 0, 1, 1]);
  check(await computeStats(tensorOf(b, 'bool', [4])), b, 'bool');
  const be = Buffer.alloc(12);
  [1.5, -2, 8].forEach((v, i) => be.writeFloatBE(v, i * 4));
  check(await computeStats(tensorOf(new Uint8Array(be), 'float32', [3], {}, 'big')), [1.5, -2, 8], 'big-endian');
  const half = Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x3800]);
  check(await computeStats(tensorOf(bytesOf(half), 'float16', [4])), [1, -2, Infinity, 0.5], 'f16');
  const bf = Uint16Array.from([0x3f80, 0x4040]);
  check(await computeStats(tensorOf(bytesOf(bf), 'bfloat16', [2])), [1, 3], 'bf16');
  const c = await computeStats(tensorOf(bytesOf(new Float32Array(4)), 'complex64', [2]));
  assert.equal(c.min, null);
  assert.equal(statsJson(c, 'complex64'), null);
});

test('quantized tensors are dequantized (per tensor and per channel)', async () => {
  const q = Int8Array.from([-10, 0, 10, 20, 30, -30]);
  const perTensor: QuantInfo = { scheme: 'per_tensor_affine', scale: 0.5, zeroPoint: 2 };
  check(await computeStats(tensorOf(bytesOf(q), 'qint8', [2, 3], { quant: perTensor })), Array.from(q, (v) => (v - 2) * 0.5), 'per tensor');
  const perChannel: QuantInfo = { scheme: 'per_channel_affine', axis: 1, scales: [1, 0.1, 10], zeroPoints: [0, 1, -1] };
  const exp = Array.from(q, (v, i) => (v - perChannel.zeroPoints![i % 3]) * perChannel.scales![i % 3]);
  check(await computeStats(tensorOf(bytesOf(q), 'qint8', [2, 3], { quant: perChannel })), exp, 'per channel');
});

test('strided views: statistics over the view, not the storage', async () => {
  const storage = Float32Array.from({ length: 120 }, (_, i) => i);
  const view = { ...tensorOf(bytesOf(storage), 'float32', [3, 4]), stride: [12, 3], storageOffset: 24, contiguous: false };
  const vals: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) vals.push(24 + 12 * i + 3 * j);
  check(await computeStats(view, { workers: false }), vals, 'sliced view');
  const expanded = { ...tensorOf(bytesOf(storage), 'float32', [3, 4]), stride: [0, 1], contiguous: false };
  check(await computeStats(expanded), [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'expanded');
});

test('big tensors: workers agree with the inline pass; histogram within 0.5 %; progress and cancel', async () => {
  const n = PARALLEL_MIN_ELEMENTS * 4 + 123;
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = 100 + 3 * normal();
  f[17] = NaN;
  const t = tensorOf(bytesOf(f), 'float32', [n]);
  const inline = await computeStats(t, { workers: false });
  check(inline, f, 'inline big', n * 0.005, 1e-9);
  const progress: number[] = [];
  const pooled = await computeStats(t, { onProgress: (done, total) => { assert.equal(total, n); progress.push(done); } });
  check(pooled, f, 'workers big', n * 0.005, 1e-9);
  assert.equal(progress[progress.length - 1], n);
  assert.ok(progress.every((v, i) => i === 0 || v > progress[i - 1]));
  assert.ok(StatsPool.shared(), 'the worker pool is in use');
  const ac = new AbortController();
  await assert.rejects(computeStats(t, { signal: ac.signal, onProgress: () => ac.abort(new Error('stop')) }), /stop/);
  const ac2 = new AbortController();
  await assert.rejects(computeStats(t, { signal: ac2.signal, workers: false, onProgress: () => ac2.abort(new Error('stop2')) }), /stop2/);
  // a source whose memory is exactly one worker block: it must be copied to the worker, never transferred away
  const exact = Float32Array.from({ length: PARALLEL_MIN_ELEMENTS }, (_, i) => i % 1000);
  const exactStats = await computeStats(tensorOf(bytesOf(exact), 'float32', [exact.length]));
  assert.equal(exact.byteLength, PARALLEL_MIN_ELEMENTS * 4, "the caller's buffer is still attached");
  assert.equal(exactStats.max, 999);
  // many at once, one bad
  const bad: TensorInfo = { ...t, name: 'meta', storage: { ...t.storage!, source: null } };
  const overall: number[] = [];
  const many = await computeStatsMany([t, bad, t], { onProgress: (done, total) => { assert.equal(total, 3 * n); overall.push(done); } });
  assert.equal(overall[overall.length - 1], 2 * n, 'progress over the tensors that could be read');
  assert.ok(!(many[0] instanceof Error) && !(many[2] instanceof Error));
  assert.ok(many[1] instanceof Error);
});

test('broadcast (stride-0) views: counts scale, a huge expand costs nothing; overlapping giants are refused', async () => {
  const base = Float32Array.from([1, 2, 3, 4]);
  const expanded = { ...tensorOf(bytesOf(base), 'float32', [3, 4]), stride: [0, 1], contiguous: false };
  const vals = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4];
  check(await computeStats(expanded), vals, 'expanded rows');
  const col = { ...tensorOf(bytesOf(base), 'float32', [4, 5]), stride: [1, 0], contiguous: false };
  check(await computeStats(col), [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4], 'expanded columns');
  const huge = { ...tensorOf(bytesOf(base), 'float32', [1e12, 4]), stride: [0, 1], contiguous: false };
  const s = await computeStats(huge);
  assert.equal(s.count, 4e12);
  assert.equal(s.mean, 2.5);
  assert.equal(s.histogram?.counts.reduce((a, b) => a + b, 0), 4e12);
  const overlap = { ...tensorOf(bytesOf(base), 'float32', [1e6, 1e6]), stride: [1, 1], contiguous: false };
  await assert.rejects(computeStats(overlap), /overlapping/);
});

test('one-pass later blocks stay accurate: large offsets and drifting data', async () => {
  const n = (1 << 20) * 3 + 7;
  const offset = Float64Array.from({ length: n }, () => 1e8 + normal());
  check(await computeStats(tensorOf(bytesOf(offset), 'float64', [n]), { workers: false }), offset, 'offset 1e8', n * 0.005, 1e-9);
  const drift = Float64Array.from({ length: n }, (_, i) => i * 1000);
  check(await computeStats(tensorOf(bytesOf(drift), 'float64', [n]), { workers: false }), drift, 'arange drift', n * 0.005, 1e-9);
  const f32 = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1e4 + normal()));
  check(await computeStats(tensorOf(bytesOf(f32), 'float32', [n]), { workers: false }), f32, 'f32 with zeros', n * 0.005, 1e-9);
});
