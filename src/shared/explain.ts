/**
 * Strides explained in words: which dimensions are transposed or broadcast, why a tensor is not contiguous,
 * whether `.view(...)` would work, and how much of its storage it uses. Pure; built on core/layout.
 */
import { contiguousStrides, inferShape, isContiguous, layoutKind, numelOf, storageExtent, viewStrides } from '../core/layout';
import { errorMessage } from '../core/errors';

export interface StrideExplanation {
  /** one-line verdict: `contiguous`, `transposed (dims 0 and 1 swapped)`, … */
  verdict: string;
  /** sentences, plain text */
  notes: string[];
  /** the strides a contiguous tensor of this shape would have */
  contiguousStride: number[];
  /**
   * dims whose stride differs from `contiguousStride` where that cannot matter (size 1: the stride is never
   * stepped; or an empty tensor): torch's is_contiguous() ignores them
   */
  unusedStrideDims: number[];
  /** whether `.view(-1)` works (torch's computeStride); null for sparse / no strides */
  flatViewWorks: boolean | null;
  /** the order of dims from outermost to innermost in memory (by stride), when it is a permutation of a dense layout */
  permutation: number[] | null;
  /** storage elements [first, last] the tensor touches, null when empty */
  extent: { first: number; last: number } | null;
}

const fmt = (a: readonly number[]) => `(${a.join(', ')}${a.length === 1 ? ',' : ''})`;

/** Dims ordered by stride, outermost first (ties: size-1 dims and the original order). */
function memoryOrder(shape: readonly number[], stride: readonly number[]): number[] {
  return shape.map((_, i) => i).sort((a, b) => stride[b] - stride[a] || (shape[a] === 1 ? -1 : 0) - (shape[b] === 1 ? -1 : 0) || a - b);
}

export function explainStrides(shape: readonly number[], stride: readonly number[], storageOffset: number, storageNumel: number | null, layout = 'strided'): StrideExplanation {
  const notes: string[] = [];
  const cstride = contiguousStrides(shape);
  const extent = layout === 'strided' && stride.length === shape.length ? storageExtent(shape, stride, storageOffset) : null;
  if (layout !== 'strided' || stride.length !== shape.length) {
    return { verdict: `${layout} layout (no strides)`, notes: ['Sparse tensors store indices and values as separate component tensors; see those for their layout.'], contiguousStride: cstride, unusedStrideDims: [], flatViewWorks: null, permutation: null, extent: null };
  }
  const numel = numelOf(shape);
  // the verdict refines the Layout column's kind (same function), never contradicts it
  const kind = layoutKind(shape, stride);
  const channelsLast = kind === 'channels_last' || kind === 'channels_last_3d';
  const flat = numel > 0 ? viewStrides(shape, stride, [numel]) !== null : true;
  let verdict: string;
  let permutation: number[] | null = null;

  const unusedStrideDims = shape.map((d, i) => (stride[i] !== cstride[i] && (d === 1 || numel === 0) ? i : -1)).filter((i) => i >= 0);
  if (kind === 'contiguous') {
    verdict = 'contiguous';
    if (unusedStrideDims.length === 0) {
      notes.push(`Row-major: the last dimension is adjacent in memory; strides ${fmt(stride)} are those of a fresh tensor of this shape.`);
    } else if (numel === 0) {
      notes.push(`Empty (no elements): contiguous whatever its strides ${fmt(stride)}; a fresh tensor of this shape would have ${fmt(cstride)}.`);
    } else {
      const dims = unusedStrideDims;
      notes.push(`Row-major: the last dimension is adjacent in memory. Strides ${fmt(stride)} differ from a fresh tensor's ${fmt(cstride)} only in dimension${dims.length > 1 ? 's' : ''} ${dims.join(', ')} of size 1, whose stride is never used to step (there is only index 0), so torch's \`is_contiguous()\` ignores ${dims.length > 1 ? 'them' : 'it'}: still contiguous, \`.view()\` works. Such strides come from \`unsqueeze\`, slicing or \`permute\` of size-1 dimensions, or from channels_last tensors with 1×1 spatial size.`);
    }
  } else {
    const reasons: string[] = [];
    const broadcast = shape.map((d, i) => (stride[i] === 0 && d > 1 ? i : -1)).filter((i) => i >= 0);
    if (broadcast.length) {
      reasons.push(`dimension${broadcast.length > 1 ? 's' : ''} ${broadcast.join(', ')} ha${broadcast.length > 1 ? 've' : 's'} stride 0: the same elements repeat (a broadcast, \`expand\`), so the tensor shows more elements than its storage holds`);
    }
    const order = memoryOrder(shape, stride);
    const isPermuted = order.some((d, i) => d !== i && shape[d] !== 1);
    // dense in some order: a permutation of a contiguous tensor
    const permShape = order.map((d) => shape[d]);
    const permStride = order.map((d) => stride[d]);
    const denseInOrder = !broadcast.length && isContiguous(permShape, permStride);
    if (isPermuted) {
      permutation = order;
      const moved = order.map((d, i) => (d !== i ? d : -1)).filter((d) => d >= 0 && shape[d] !== 1);
      if (channelsLast) {
        reasons.push(`it is stored ${kind}: channels (dim 1) are innermost in memory (\`x.to(memory_format=torch.${kind})\`)`);
      } else if (moved.length === 2) {
        reasons.push(`dimensions ${moved[0]} and ${moved[1]} are transposed: in memory the order is ${fmt(order)} (\`.transpose(${moved[0]}, ${moved[1]})\`${shape.length === 2 ? ' or `.t()`' : ''} of a contiguous tensor)`);
      } else {
        reasons.push(`dimensions are permuted: in memory the order is ${fmt(order)} (\`.permute(${order.join(', ')})\` of a contiguous tensor would give it)`);
      }
    }
    if (!denseInOrder && !broadcast.length) {
      // gaps: a stride larger than the dense one in memory order
      const gapDims: number[] = [];
      let expected = 1;
      for (let k = order.length - 1; k >= 0; k--) {
        const d = order[k];
        if (shape[d] === 1) continue;
        if (stride[d] !== expected) gapDims.push(d);
        expected = stride[d] * shape[d];
      }
      if (gapDims.length) {
        reasons.push(`dimension${gapDims.length > 1 ? 's' : ''} ${gapDims.reverse().join(', ')} skip${gapDims.length > 1 ? '' : 's'} elements (stride larger than the size of what lies inside it): a slice with a step or a narrowed inner dimension, e.g. \`x[:, ::2]\` or \`x[:, :k]\``);
      }
    }
    verdict = channelsLast ? kind
      : kind === 'expanded' ? 'expanded (broadcast)'
      : isPermuted && denseInOrder ? 'transposed / permuted'
      : 'non-contiguous';
    notes.push(`Not contiguous: a contiguous tensor of this shape has strides ${fmt(cstride)}, this one ${fmt(stride)}.`);
    for (const r of reasons) notes.push(`Because ${r}.`);
  }

  if (numel > 0) {
    notes.push(flat
      ? '`.view(-1)` works (no copy).'
      : '`.view(-1)` fails ("view size is not compatible with input tensor\'s size and stride"); use `.reshape(-1)` (copies) or `.contiguous().view(-1)`.');
  }
  if (storageOffset > 0) notes.push(`Starts at element ${storageOffset} of its storage, so it is a view into a larger storage (a slice, a chunk, or tied/shared weights).`);
  if (extent && storageNumel !== null && storageNumel > 0) {
    const used = extent.last - extent.first + 1;
    if (used < storageNumel) {
      notes.push(`Touches storage elements ${extent.first}…${extent.last} of ${storageNumel}; the rest of the storage belongs to other views or was saved without \`.clone()\`.`);
    }
  }
  return { verdict, notes, contiguousStride: cstride, unusedStrideDims, flatViewWorks: numel > 0 ? flat : true, permutation, extent };
}

/** Whether `.view(newShape)` works for this tensor; `-1` is inferred. Returns the resulting strides or an error line. */
export function tryView(shape: readonly number[], stride: readonly number[], newShape: readonly number[]): { ok: true; stride: number[] } | { ok: false; reason: string } {
  let resolved: number[];
  try {
    resolved = inferShape(newShape, numelOf(shape));
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
  const s = viewStrides(shape, stride, resolved);
  return s ? { ok: true, stride: s } : { ok: false, reason: "view size is not compatible with input tensor's size and stride; use .reshape(...)" };
}
