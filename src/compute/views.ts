/**
 * View ops with torch's stride semantics: `permute`, `transpose`, `view` return views of the same storage
 * (new shape, strides, offset; no data moved). `contiguous` / `materialize` make a packed copy: a
 * Transpose graph when the view is a permutation of a packed tensor, a strided gather otherwise.
 */
import { contiguousStrides, inferShape, isContiguous, numelOf, viewStrides } from '../core/layout';
import type { Dense } from './dense';
import { asPermutedPacked, gatherStrided, isPacked, makeDense, shapeText, strideOf } from './dense';
import type { ExecOptions } from './exec';
import { execGraph, wrapDim } from './exec';
import type { RunInfo } from './session';

export function permuteView(t: Dense, dims: readonly number[]): Dense {
  const nd = t.shape.length;
  if (dims.length !== nd) {
    throw new Error(`permute: number of dims don't match: the tensor has ${nd} dimension(s) (${shapeText(t.shape)}) but dims has ${dims.length} (${dims.join(',')})`);
  }
  const wrapped = dims.map((d) => wrapDim(d, nd));
  if (new Set(wrapped).size !== nd) throw new Error(`permute(): duplicate dims are not allowed (dims=${dims.join(',')})`);
  const stride = strideOf(t);
  return { dtype: t.dtype, data: t.data, shape: wrapped.map((d) => t.shape[d]), stride: wrapped.map((d) => stride[d]), offset: t.offset ?? 0 };
}

export function transposeView(t: Dense, dim0: number, dim1: number): Dense {
  const nd = t.shape.length;
  const a = wrapDim(dim0, nd);
  const b = wrapDim(dim1, nd);
  const dims = t.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return nd === 0 ? t : permuteView(t, dims);
}

/** Why `view` is impossible, in plain words, or null when it is possible. */
export function viewRefusal(t: Dense, newShape: readonly number[]): string | null {
  const stride = strideOf(t);
  if (viewStrides(t.shape, stride, newShape) !== null) return null;
  return `view(${newShape.join(', ')}) is not possible: the tensor (shape ${shapeText(t.shape)}, strides ${stride.join(',')}) is not contiguous in the ` +
    'dimensions that would be merged or split, so no single stride can step through the merged elements in order ' +
    `(torch: "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."). ` +
    `Use reshape(${newShape.join(', ')}) — it copies — or call contiguous() first.`;
}

export function viewOf(t: Dense, requested: readonly number[]): Dense {
  const newShape = inferShape(requested, numelOf(t.shape));
  const stride = viewStrides(t.shape, strideOf(t), newShape);
  if (stride === null) throw new Error(viewRefusal(t, newShape) ?? 'view is not possible');
  return { dtype: t.dtype, data: t.data, shape: newShape, stride, offset: t.offset ?? 0 };
}

/** Packed copy of any view; `info` null when no graph had to run (already packed, or gathered in JS). */
export async function materialize(t: Dense, opts: ExecOptions): Promise<{ tensor: Dense; info: RunInfo | null }> {
  if (isPacked(t)) return { tensor: makeDense(t.dtype, t.shape, t.data), info: null };
  const pp = asPermutedPacked(t);
  if (pp) {
    const base = makeDense(t.dtype, pp.baseShape, t.data);
    return execGraph(`transpose:${pp.perm.join(',')}`, [base], (g, [x]) => ({ out: g.node('Transpose', [x], { perm: pp.perm }), dtype: t.dtype }), opts);
  }
  return { tensor: gatherStrided(t), info: null };
}

/** reshape: a view when torch could view, a copy otherwise (as torch). */
export async function reshapeOf(t: Dense, requested: readonly number[], opts: ExecOptions): Promise<{ tensor: Dense; info: RunInfo | null; copied: boolean }> {
  const newShape = inferShape(requested, numelOf(t.shape));
  const stride = viewStrides(t.shape, strideOf(t), newShape);
  if (stride !== null) return { tensor: { dtype: t.dtype, data: t.data, shape: newShape, stride, offset: t.offset ?? 0 }, info: null, copied: false };
  const m = await materialize(t, opts);
  return { tensor: { ...m.tensor, shape: newShape, stride: contiguousStrides(newShape) }, info: m.info, copied: true };
}

export function describeLayout(t: Dense): string {
  const stride = strideOf(t);
  return `shape ${shapeText(t.shape)}, stride (${stride.join(', ')}), offset ${t.offset ?? 0}, ${isContiguous(t.shape, stride) ? 'contiguous' : 'not contiguous'}`;
}
