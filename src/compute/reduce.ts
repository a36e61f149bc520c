/**
 * sum / mean / amax (dim, keepdim) with torch's result dtypes (sum of integers → int64; mean only for floats).
 * A full reduction over a tensor larger than the chunk size runs chunk by chunk and combines in float64.
 */
import type { DTypeName } from '../core/dtype';
import type { NaturalArray } from '../core/decode';
import { numelOf } from '../core/layout';
import type { Dense } from './dense';
import { isFloat, makeDense, toNumbers } from './dense';
import type { ExecOptions } from './exec';
import { castValue, chunkSize, execGraph, wrapDim } from './exec';
import type { GraphBuilder } from './graph';
import type { RunInfo } from './session';

export type ReduceKind = 'sum' | 'mean' | 'amax';

function resultDType(kind: ReduceKind, d: DTypeName): DTypeName {
  if (kind === 'mean' && !isFloat(d)) {
    throw new Error(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${d}`);
  }
  if (kind === 'amax' && d === 'bool') throw new Error('amax on bool tensors is not supported here; cast to uint8 first');
  if (kind === 'sum' && !isFloat(d)) return 'int64';
  return d;
}

/** The reduction node (sum: ReduceSum with axes as input; mean / amax: axes as attribute, opset 17). */
export function reduceNode(g: GraphBuilder, kind: ReduceKind, x: string, axes: number[], keepdims: boolean): string {
  const k = keepdims ? 1 : 0;
  if (kind === 'sum') return g.node('ReduceSum', [x, g.int64s(axes)], { keepdims: k });
  return g.node(kind === 'mean' ? 'ReduceMean' : 'ReduceMax', [x], { axes, keepdims: k });
}

/** The reduced axes (torch's dim: None or empty = all, negatives wrapped) and the result's shape. */
export function reduceAxes(shape: readonly number[], dims: readonly number[] | undefined, keepdim: boolean): { axes: number[]; outShape: number[] } {
  const rank = shape.length;
  const axes = dims === undefined || dims.length === 0 ? shape.map((_, i) => i) : [...new Set(dims.map((d) => wrapDim(d, rank)))].sort((a, b) => a - b);
  const outShape = keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
  return { axes, outShape };
}

export async function reduce(kind: ReduceKind, x: Dense, dims: number[] | undefined, keepdim: boolean, opts: ExecOptions): Promise<{ tensor: Dense; info: RunInfo }> {
  const rank = x.shape.length;
  const out = resultDType(kind, x.dtype);
  const { axes, outShape } = reduceAxes(x.shape, dims, keepdim);
  const numel = numelOf(x.shape);
  const all = axes.length === rank;
  const chunk = chunkSize(opts);
  if (rank === 0) {
    return execGraph(`${kind}:scalar`, [x], (g, [n]) => ({ out: g.node('Identity', [castValue(g, n, x.dtype, out)]), dtype: out }), opts);
  }
  if (!all || numel <= chunk) {
    const key = `${kind}:${axes.join(',')}:${keepdim}`;
    const r = await execGraph(key, [x], (g, [n]) => ({ out: reduceNode(g, kind, castValue(g, n, x.dtype, kind === 'sum' ? out : x.dtype), axes, keepdim), dtype: out }), opts);
    return { tensor: { ...r.tensor, shape: outShape }, info: r.info };
  }
  // full reduction in chunks: per-chunk sum (or max), combined here
  let acc = kind === 'amax' ? -Infinity : 0;
  let accBig = 0n;
  let info: RunInfo | null = null;
  let sessionMs = 0;
  let runMs = 0;
  for (let start = 0; start < numel; start += chunk) {
    const len = Math.min(chunk, numel - start);
    const part = makeDense(x.dtype, [len], x.data.subarray(start, start + len) as NaturalArray);
    const partKind = kind === 'mean' ? 'sum' : kind;
    const r = await execGraph(`${partKind}:chunk`, [part], (g, [n]) => ({ out: reduceNode(g, partKind, castValue(g, n, x.dtype, partKind === 'sum' ? out : x.dtype), [0], false), dtype: out }), opts);
    info = r.info;
    sessionMs += r.info.sessionMs;
    runMs += r.info.runMs;
    const v = r.tensor.data;
    if (v instanceof BigInt64Array) accBig = kind === 'amax' ? (start === 0 || v[0] > accBig ? v[0] : accBig) : accBig + v[0];
    else {
      const n = toNumbers(v)[0];
      acc = kind === 'amax' ? (Number.isNaN(n) || Number.isNaN(acc) ? NaN : Math.max(acc, n)) : acc + n;
    }
  }
  if (kind === 'mean') acc /= numel;
  const data: NaturalArray = out === 'int64' ? BigInt64Array.of(accBig)
    : out === 'float64' ? Float64Array.of(acc)
      : isFloat(out) ? Float32Array.of(acc)
        : typedOf(out, acc);
  return { tensor: makeDense(out, outShape, data), info: { ...(info as RunInfo), sessionMs, runMs } };
}

function typedOf(d: DTypeName, v: number): NaturalArray {
  switch (d) {
    case 'int8': return Int8Array.of(v);
    case 'int16': return Int16Array.of(v);
    case 'int32': return Int32Array.of(v);
    case 'uint8': return Uint8Array.of(v);
    default: return Float64Array.of(v);
  }
}
