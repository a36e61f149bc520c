/**
 * Stride arithmetic with PyTorch's exact rules: contiguity, memory format, and whether `.view(newShape)`
 * is possible (ATen's `computeStride`). Shapes and strides are in elements.
 */
import type { Layout, MemoryFormat } from './model';

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor (`torch.empty(shape).stride()`). */
export function contiguousStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = expected;
    expected *= Math.max(shape[d], 1);
  }
  return stride;
}

/** `tensor.is_contiguous()`: size-1 dimensions are ignored, an empty tensor is contiguous. */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  if (shape.some((d) => d === 0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Dense in the given dimension order (innermost first), size-1 dims ignored: ATen's channels-last contiguity. */
function isDenseInOrder(shape: readonly number[], stride: readonly number[], order: readonly number[]): boolean {
  if (shape.some((d) => d === 0)) return true;
  let expected = 1;
  for (const d of order) {
    if (shape[d] === 1) continue;
    if (stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** `t.is_contiguous(memory_format=torch.channels_last)` for 4-d tensors. */
export function isChannelsLast(shape: readonly number[], stride: readonly number[]): boolean {
  return shape.length === 4 && isDenseInOrder(shape, stride, [1, 3, 2, 0]);
}

/** `t.is_contiguous(memory_format=torch.channels_last_3d)` for 5-d tensors. */
export function isChannelsLast3d(shape: readonly number[], stride: readonly number[]): boolean {
  return shape.length === 5 && isDenseInOrder(shape, stride, [1, 4, 3, 2, 0]);
}

/** The memory format a tensor is dense in: contiguous first (as torch reports), then channels-last. */
export function memoryFormatOf(shape: readonly number[], stride: readonly number[]): MemoryFormat {
  if (isContiguous(shape, stride)) return 'contiguous';
  if (isChannelsLast(shape, stride)) return 'channels_last';
  if (isChannelsLast3d(shape, stride)) return 'channels_last_3d';
  return 'other';
}

/**
 * What the inspector's Layout column, its `layout:` filter term, its sort, the Details view, the Python hover and
 * the CLI call a tensor's layout. Sparse layouts by name; a strided tensor is `contiguous` (torch's
 * `is_contiguous()`: 0-d and empty tensors are), else dense in a channels-last order, else `expanded` when a
 * dimension of size > 1 has stride 0 (a broadcast), else `non-contiguous`. Quantized tensors are strided and get
 * the same kinds.
 */
export type LayoutKind = 'contiguous' | 'channels_last' | 'channels_last_3d' | 'expanded' | 'non-contiguous' | Exclude<Layout, 'strided'>;

export const LAYOUT_KINDS: readonly LayoutKind[] = [
  'contiguous', 'channels_last', 'channels_last_3d', 'expanded', 'non-contiguous', 'sparse_coo', 'sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc',
];

export function layoutKind(shape: readonly number[], stride: readonly number[], layout: Layout = 'strided'): LayoutKind {
  if (layout !== 'strided') return layout;
  if (isContiguous(shape, stride)) return 'contiguous';
  if (isChannelsLast(shape, stride)) return 'channels_last';
  if (isChannelsLast3d(shape, stride)) return 'channels_last_3d';
  for (let i = 0; i < shape.length; i++) if (stride[i] === 0 && shape[i] > 1) return 'expanded';
  return 'non-contiguous';
}

/**
 * Resolve one `-1` in a requested shape against `numel` (torch's `infer_size`).
 * Throws an Error with torch's wording when the shape is invalid.
 */
export function inferShape(requested: readonly number[], numel: number): number[] {
  let inferred = -1;
  let product = 1;
  requested.forEach((d, i) => {
    if (d === -1) {
      if (inferred >= 0) throw new Error('only one dimension can be inferred');
      inferred = i;
    } else if (d < 0 || !Number.isInteger(d)) {
      throw new Error(`invalid shape dimension ${d}`);
    } else {
      product *= d;
    }
  });
  const shape = [...requested];
  if (inferred >= 0) {
    if (product === 0 || numel % product !== 0) {
      throw new Error(`shape '[${requested.join(', ')}]' is invalid for input of size ${numel}`);
    }
    shape[inferred] = numel / product;
  } else if (product !== numel) {
    throw new Error(`shape '[${requested.join(', ')}]' is invalid for input of size ${numel}`);
  }
  return shape;
}

/**
 * Strides `tensor.view(newShape)` would have, or null where torch refuses the view
 * ("view size is not compatible with input tensor's size and stride"). `newShape` must be fully resolved
 * (see `inferShape`). This is ATen's `computeStride`.
 */
export function viewStrides(shape: readonly number[], stride: readonly number[], newShape: readonly number[]): number[] | null {
  if (shape.length === 0) return newShape.map(() => 1);
  const numel = numelOf(shape);
  if (numel !== numelOf(newShape)) return null;
  if (numel === 0) {
    if (shape.length === newShape.length && shape.every((d, i) => d === newShape[i])) return [...stride];
    return contiguousStrides(newShape);
  }
  const newStride = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBaseStride = stride[stride.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = shape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= shape[tensorD];
    if (tensorD === 0 || (shape[tensorD - 1] !== 1 && stride[tensorD - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStride[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = stride[tensorD - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStride;
}

/** Smallest and largest storage element index a strided tensor touches (null when it has no elements). */
export function storageExtent(shape: readonly number[], stride: readonly number[], storageOffset: number): { first: number; last: number } | null {
  if (shape.some((d) => d === 0)) return null;
  let first = storageOffset;
  let last = storageOffset;
  shape.forEach((d, i) => {
    const span = (d - 1) * stride[i];
    if (span < 0) first += span; else last += span;
  });
  return { first, last };
}
