/** parseSlice (pure) and readDense / readSlice over real strided views, checked against a naive walk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSlice, SliceError } from '../../src/core/slice';
import { readDense, readSlice } from '../../src/core/values';
import { rawBlocks } from '../../src/core/elements';
import { bufferSource } from '../../src/core/byteSource';
import { UnreadableError, type TensorInfo } from '../../src/core/model';
import type { DTypeName } from '../../src/core/dtype';
import { decodeNatural, decodeNumeric } from '../../src/core/decode';

test('parseSlice: indices, ranges, steps, negatives, ellipsis', () => {
  const shape = [4, 5, 6];
  let p = parseSlice('[2, :, 0:8]', shape);
  assert.deepEqual(p.shape, [5, 6]);
  assert.equal(p.normalized, '[2, 0:5, 0:6]');
  p = parseSlice('-1, ::2, -3:', shape);
  assert.deepEqual(p.shape, [3, 3]);
  assert.equal(p.normalized, '[3, 0:6:2, 3:6]');
  p = parseSlice('[..., 1]', shape);
  assert.deepEqual(p.shape, [4, 5]);
  assert.equal(p.normalized, '[0:4, 0:5, 1]');
  p = parseSlice('[1, ...]', shape);
  assert.deepEqual(p.shape, [5, 6]);
  p = parseSlice('[::-1]', shape);
  assert.deepEqual(p.dims[0], { kind: 'range', start: 3, step: -1, length: 4 });
  assert.equal(p.normalized, '[3::-1, 0:5, 0:6]');
  p = parseSlice('[5:1:-2]', [8]);
  assert.deepEqual(p.dims[0], { kind: 'range', start: 5, step: -2, length: 2 });
  p = parseSlice('[10:20]', [8]);
  assert.deepEqual(p.shape, [0]);
  assert.equal(p.normalized, '[0:0]');
  p = parseSlice('', [3, 3]);
  assert.deepEqual(p.shape, [3, 3]);
  p = parseSlice('[]', []);
  assert.deepEqual(p.shape, []);
  assert.throws(() => parseSlice('[4]', [4]), SliceError);
  assert.throws(() => parseSlice('[-5]', [4]), SliceError);
  assert.throws(() => parseSlice('[1, 2]', [4]), SliceError);
  assert.throws(() => parseSlice('[::0]', [4]), SliceError);
  assert.throws(() => parseSlice('[a]', [4]), SliceError);
  assert.throws(() => parseSlice('[..., ...]', [4]), SliceError);
  assert.throws(() => parseSlice('[1:2:3:4]', [4]), SliceError);
});

test('parseSlice matches Python slice semantics on many random cases', () => {
  // reference: Python's range(*slice(a, b, c).indices(n))
  const indices = (n: number, a: number | undefined, b: number | undefined, c: number | undefined): number[] => {
    const step = c ?? 1;
    let start: number;
    let stop: number;
    if (step > 0) {
      start = a === undefined ? 0 : a < 0 ? Math.max(a + n, 0) : Math.min(a, n);
      stop = b === undefined ? n : b < 0 ? Math.max(b + n, 0) : Math.min(b, n);
    } else {
      start = a === undefined ? n - 1 : a < 0 ? Math.max(a + n, -1) : Math.min(a, n - 1);
      stop = b === undefined ? -1 : b < 0 ? Math.max(b + n, -1) : Math.min(b, n - 1);
    }
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  };
  let seed = 7;
  const rnd = (k: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
  for (let iter = 0; iter < 2000; iter++) {
    const n = rnd(9);
    const pick = () => (rnd(3) === 0 ? undefined : rnd(25) - 12);
    const a = pick(); const b = pick();
    let c = rnd(3) === 0 ? undefined : rnd(9) - 4;
    if (c === 0) c = 1;
    const expr = `[${a ?? ''}:${b ?? ''}${c === undefined ? '' : `:${c}`}]`;
    const p = parseSlice(expr, [n]);
    const sel = p.dims[0];
    assert.equal(sel.kind, 'range');
    if (sel.kind !== 'range') continue;
    const got = Array.from({ length: sel.length }, (_, i) => sel.start + i * sel.step);
    assert.deepEqual(got, indices(n, a, b, c), `${expr} on ${n}`);
    // the normalized expression selects the same elements
    const again = parseSlice(p.normalized, [n]).dims[0];
    assert.deepEqual(again, sel, `${expr} → ${p.normalized}`);
  }
});

function tensorOver(values: Float32Array, shape: number[], stride: number[], storageOffset = 0, dtype: DTypeName = 'float32'): TensorInfo {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return {
    name: 't', dtype, shape, stride, storageOffset, contiguous: false, memoryFormat: 'other', layout: 'strided',
    device: 'cpu', requiresGrad: false,
    storage: { key: 's', dtype, bytes: bytes.length, device: 'cpu', byteOrder: 'little', source: bufferSource(bytes) },
  };
}

/** Naive row-major walk of a strided view. */
function naive(storage: Float32Array, shape: number[], stride: number[], offset: number): number[] {
  const out: number[] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let pos = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      pos += (rem % shape[d]) * stride[d];
      rem = Math.floor(rem / shape[d]);
    }
    out.push(storage[pos]);
  }
  return out;
}

test('readDense walks transposes, slices, expands, channels-last and negative strides', async () => {
  const storage = Float32Array.from({ length: 240 }, (_, i) => i);
  const views: Array<[number[], number[], number]> = [
    [[10, 12], [12, 1], 0],
    [[12, 10], [1, 12], 0],
    [[3, 4], [12, 3], 24],
    [[24], [1], 7],
    [[12, 2, 5], [1, 60, 12], 0],
    [[3, 4], [0, 1], 5],
    [[2, 3, 4, 5], [60, 1, 15, 3], 0],
    [[], [], 17],
    [[0, 7], [7, 1], 0],
    [[5, 4], [-12, 2], 100],
    [[2, 3, 2, 5], [60, 2, 30, 6], 1],
  ];
  for (const [shape, stride, off] of views) {
    const t = tensorOver(storage, shape, stride, off);
    const dense = await readDense(t);
    assert.deepEqual(Array.from(dense.data as Float32Array), naive(storage, shape, stride, off), `${shape} / ${stride} @${off}`);
    assert.deepEqual(dense.shape, shape);
    // small windows force the recursive, grouped walk; odd block sizes exercise the blocker
    for (const windowBytes of [4, 16, 52, 1000]) {
      const parts: number[] = [];
      for await (const b of rawBlocks(t, { windowBytes, blockElements: 7 })) {
        parts.push(...new Float32Array(new Uint8Array(b.bytes).buffer));
      }
      assert.deepEqual(parts, naive(storage, shape, stride, off), `window ${windowBytes}: ${shape} / ${stride}`);
    }
  }
});

test('readDense refuses views outside their storage and tensors without bytes, cleanly', async () => {
  const storage = Float32Array.from({ length: 10 }, (_, i) => i);
  await assert.rejects(readDense(tensorOver(storage, [4, 4], [4, 1], 0)), UnreadableError);
  await assert.rejects(readDense(tensorOver(storage, [3], [-1], 1)), UnreadableError);
  const meta = { ...tensorOver(storage, [2], [1]), storage: { key: 'm', dtype: 'float32' as const, bytes: 8, device: 'meta', byteOrder: 'little' as const, source: null } };
  await assert.rejects(readDense(meta), /not in the file/);
});

test('readSlice: values, normalized expression, bound on elements', async () => {
  const storage = Float32Array.from({ length: 120 }, (_, i) => i);
  const t = tensorOver(storage, [10, 12], [12, 1], 0);
  let r = await readSlice(t, '[2, :, ]'.replace(', ]', ']'), 100);
  assert.deepEqual(Array.from(r.values), Array.from({ length: 12 }, (_, i) => 24 + i));
  assert.equal(r.expr, '[2, 0:12]');
  r = await readSlice(t, '[-1, ::-3]', 100);
  assert.deepEqual(Array.from(r.values), [119, 116, 113, 110]);
  r = await readSlice(t, '[1:3, 10:]', 100);
  assert.deepEqual(r.shape, [2, 2]);
  assert.deepEqual(Array.from(r.values), [22, 23, 34, 35]);
  r = await readSlice(t, '[...]', 5);
  assert.equal(r.total, 120);
  assert.equal(r.truncated, true);
  assert.deepEqual(Array.from(r.values), [0, 1, 2, 3, 4]);
  // slicing a transposed view
  const tt = tensorOver(storage, [12, 10], [1, 12], 0);
  r = await readSlice(tt, '[3, 2:5]', 100);
  assert.deepEqual(Array.from(r.values), [27, 39, 51]);
  await assert.rejects(readSlice(t, '[20]', 10), SliceError);
});

test('decode: fp16 / bf16 / fp8 / byte order / 64-bit ints', () => {
  const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x7e00, 0x0001, 0x8000]).buffer);
  const h = decodeNatural('float16', half, 'little') as Float32Array;
  assert.deepEqual(Array.from(h.subarray(0, 3)), [1, -2, Infinity]);
  assert.ok(Number.isNaN(h[3]));
  assert.equal(h[4], 2 ** -24);
  assert.ok(Object.is(h[5], -0));
  const bf = decodeNatural('bfloat16', new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer), 'little') as Float32Array;
  assert.deepEqual(Array.from(bf), [1, -3]);
  const e4 = decodeNatural('float8_e4m3fn', Uint8Array.from([0x38, 0xb8, 0x7e, 0x7f, 0x01]), 'little') as Float32Array;
  assert.deepEqual(Array.from(e4.subarray(0, 3)), [1, -1, 448]);
  assert.ok(Number.isNaN(e4[3]));
  assert.equal(e4[4], 2 ** -9);
  const e5 = decodeNatural('float8_e5m2', Uint8Array.from([0x3c, 0x7b, 0x7c]), 'little') as Float32Array;
  assert.deepEqual(Array.from(e5), [1, 57344, Infinity]);
  const uz = decodeNatural('float8_e4m3fnuz', Uint8Array.from([0x40, 0x80, 0x7f]), 'little') as Float32Array;
  assert.equal(uz[0], 1);
  assert.ok(Number.isNaN(uz[1]));
  assert.equal(uz[2], 240);
  const e8 = decodeNatural('float8_e8m0fnu', Uint8Array.from([127, 130, 255]), 'little') as Float32Array;
  assert.equal(e8[0], 1);
  assert.equal(e8[1], 8);
  assert.ok(Number.isNaN(e8[2]));
  const be = decodeNatural('float32', Uint8Array.from([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]), 'big') as Float32Array;
  assert.deepEqual(Array.from(be), [1, -2]);
  const i64 = new Uint8Array(new BigInt64Array([-(2n ** 40n), 5n, -1n]).buffer);
  assert.deepEqual(Array.from(decodeNumeric('int64', i64, 'little') as Float64Array), [-(2 ** 40), 5, -1]);
  assert.deepEqual(Array.from(decodeNatural('int64', i64, 'little') as BigInt64Array), [-(2n ** 40n), 5n, -1n]);
  const u64 = new Uint8Array(new BigUint64Array([2n ** 63n + 2048n]).buffer);
  assert.deepEqual(Array.from(decodeNumeric('uint64', u64, 'little') as Float64Array), [2 ** 63 + 2048]);
  // unaligned input is realigned, not misread
  const buf = new Uint8Array(9);
  buf.set(new Uint8Array(new Float32Array([1.5, -2.5]).buffer), 1);
  assert.deepEqual(Array.from(decodeNatural('float32', buf.subarray(1), 'little') as Float32Array), [1.5, -2.5]);
  assert.equal(decodeNumeric('complex64', buf, 'little'), null);
});

test('a negative storage offset is refused, not clamped', async () => {
  const storage = Float32Array.from({ length: 10 }, (_, i) => i);
  await assert.rejects(readDense(tensorOver(storage, [4], [1], -2)), UnreadableError);
});
