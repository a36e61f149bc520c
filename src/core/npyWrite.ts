/**
 * Write `.npy` (format 1.0, little-endian, C order) from elements in their natural JS type
 * (float16/bfloat16 given as float32 values are rounded to their 16-bit codes; bfloat16 has no numpy
 * type and is written as float32).
 */
import { writeFile } from 'node:fs/promises';
import type { DTypeName } from './dtype';
import { numpyDescrOf } from './dtype';
import type { NaturalArray } from './decode';

/** float32 value → IEEE half bits, round to nearest even. */
export function floatToHalf(v: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = v;
  const x = u[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  e = h;
  return sign | e;
}

export interface NpyArray {
  dtype: DTypeName;
  shape: readonly number[];
  data: NaturalArray;
}

/** The bytes of a `.npy` file. */
export function encodeNpy(a: NpyArray): Uint8Array {
  let dtype = a.dtype;
  let body: Uint8Array;
  if (dtype === 'float16') {
    const src = a.data as Float32Array;
    const h = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) h[i] = floatToHalf(src[i]);
    body = new Uint8Array(h.buffer);
  } else if (dtype === 'bfloat16') {
    dtype = 'float32';
    body = new Uint8Array(Float32Array.from(a.data as Float32Array).buffer);
  } else {
    const d = a.data;
    body = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  const descr = numpyDescrOf(dtype);
  if (!descr) throw new Error(`numpy has no dtype for ${a.dtype}`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

export async function writeNpy(path: string, a: NpyArray): Promise<void> {
  await writeFile(path, encodeNpy(a));
}
