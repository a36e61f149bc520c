/**
 * The compute layer's tensor: elements in their natural JS type (as `src/core/decode.ts` produces them),
 * plus torch's view metadata. A contiguous tensor has `stride = contiguousStrides(shape)` and `offset = 0`;
 * a view (permute, transpose, view) shares `data` with its base and only changes shape/stride/offset.
 */
import type { DTypeName } from '../core/dtype';
import type { NaturalArray } from '../core/decode';
import { contiguousStrides, isContiguous, numelOf } from '../core/layout';

export interface Dense {
  dtype: DTypeName;
  shape: number[];
  /** the storage: for a contiguous tensor exactly its elements, row-major */
  data: NaturalArray;
  /** in elements; absent = contiguous */
  stride?: number[];
  /** in elements; absent = 0 */
  offset?: number;
}

/** dtypes the compute layer runs (others are refused with a reason). float16/bfloat16 hold Float32Array values. */
export type ComputeDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'bool';

const COMPUTE: ReadonlySet<string> = new Set(['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool']);

export function isComputeDType(d: DTypeName): d is ComputeDType {
  return COMPUTE.has(d);
}

export function isFloat(d: DTypeName): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

export function makeDense(dtype: DTypeName, shape: number[], data: NaturalArray): Dense {
  return { dtype, shape: [...shape], data };
}

export function strideOf(t: Dense): number[] {
  return t.stride ?? contiguousStrides(t.shape);
}

/** True when `data` holds exactly the tensor's elements in row-major order. */
export function isPacked(t: Dense): boolean {
  return (t.offset ?? 0) === 0 && data_length(t) === numelOf(t.shape) && isContiguous(t.shape, strideOf(t));
}

function data_length(t: Dense): number {
  return t.data.length;
}

/** A new array of the same kind as `like`, `n` long. */
export function allocLike(like: NaturalArray, n: number): NaturalArray {
  const C = like.constructor as new (n: number) => NaturalArray;
  return new C(n);
}

/** Copy a strided view into a packed tensor in JS (the general fallback of `materialize`). */
export function gatherStrided(t: Dense): Dense {
  const n = numelOf(t.shape);
  const out = allocLike(t.data, n);
  const stride = strideOf(t);
  const nd = t.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = t.offset ?? 0;
  const dst = out as unknown as { [i: number]: number | bigint };
  const from = t.data as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    dst[i] = from[src];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < t.shape[d]) break;
      src -= stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return makeDense(t.dtype, t.shape, out);
}

/**
 * When a view is a permutation of a packed tensor (permute/transpose chains, offset 0, no gaps), the base
 * shape and the permutation that makes the view: `view = base.permute(perm)`. Null otherwise.
 */
export function asPermutedPacked(t: Dense): { baseShape: number[]; perm: number[] } | null {
  if ((t.offset ?? 0) !== 0 || t.data.length !== numelOf(t.shape)) return null;
  const stride = strideOf(t);
  const order = t.shape.map((_, i) => i).sort((a, b) => stride[b] - stride[a] || a - b);
  const baseShape = order.map((d) => t.shape[d]);
  const baseStride = contiguousStrides(baseShape);
  for (let k = 0; k < order.length; k++) {
    if (t.shape[order[k]] !== 1 && stride[order[k]] !== baseStride[k]) return null;
  }
  // view dim i is base dim order.indexOf(i)
  const perm = t.shape.map((_, i) => order.indexOf(i));
  return { baseShape, perm };
}

/** Values as float64 numbers (for JS-side checks and reports). */
export function toNumbers(data: NaturalArray): Float64Array {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  return Float64Array.from(data as ArrayLike<number>);
}

/** Values as a Float32Array (shares when already float32). */
export function toFloat32(data: NaturalArray): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  return Float32Array.from(data as ArrayLike<number>);
}

export function shapeText(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}
