/**
 * Shape rules of torch ops, with the reason in plain words. Each rule is written once as a `…Mismatch`
 * function that returns what is wrong (or null); the `check…` functions throw the compute layer's messages
 * from it, and the shape tracer's explanations (src/debug/trace/explain.ts) phrase the same finding with
 * torch's argument names.
 */
import { shapeText } from './dense';

/** Two shapes that do not broadcast: the first dimension (negative, from the end) where they differ. */
export interface BroadcastMismatch { dim: number; a: number; b: number }

export function broadcastMismatch(a: readonly number[], b: readonly number[]): BroadcastMismatch | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return { dim: i - n, a: da, b: db };
  }
  return null;
}

export function broadcastShapes(a: readonly number[], b: readonly number[], what: string): number[] {
  const bad = broadcastMismatch(a, b);
  if (bad) {
    throw new Error(`${what}: shapes ${shapeText(a)} and ${shapeText(b)} are not broadcastable (dimension ${bad.dim}: ${bad.a} vs ${bad.b}; sizes must match or be 1)`);
  }
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    out[i] = da === 1 ? (b[b.length - n + i] ?? 1) : da;
  }
  return out;
}

/**
 * What is wrong with `bmm(batch1, batch2)`: an operand that is not 3-D, or a dimension of batch2 that must
 * equal one of batch1 (dim 0 the batch, dim 1 the inner size).
 */
export type BmmMismatch =
  | { kind: 'rank'; operand: 0 | 1; rank: number }
  | { kind: 'size'; dim2: 0 | 1; size2: number; dim1: 0 | 2; size1: number };

export function bmmMismatch(a: readonly number[], b: readonly number[]): BmmMismatch | null {
  if (a.length !== 3) return { kind: 'rank', operand: 0, rank: a.length };
  if (b.length !== 3) return { kind: 'rank', operand: 1, rank: b.length };
  if (a[0] !== b[0]) return { kind: 'size', dim2: 0, size2: b[0]!, dim1: 0, size1: a[0]! };
  if (a[2] !== b[1]) return { kind: 'size', dim2: 1, size2: b[1]!, dim1: 2, size1: a[2]! };
  return null;
}

export function checkBmm(a: readonly number[], b: readonly number[]): number[] {
  if (bmmMismatch(a, b)) throw new Error(`bmm expects b×n×m and b×m×p; got ${shapeText(a)} and ${shapeText(b)}`);
  return [a[0], a[1], b[2]];
}

/**
 * What is wrong with `matmul(a, b)`: a 0-d operand, inner sizes that differ (a's last dimension against b's
 * second-to-last, or its only one when 1-D; dims counted from 0 in the shapes as given), or batch
 * dimensions that do not broadcast.
 */
export type MatmulMismatch =
  | { kind: 'rank' }
  | { kind: 'inner'; dimA: number; sizeA: number; dimB: number; sizeB: number }
  | { kind: 'batch'; batchA: number[]; batchB: number[]; broadcast: BroadcastMismatch };

export function matmulMismatch(a: readonly number[], b: readonly number[]): MatmulMismatch | null {
  if (a.length === 0 || b.length === 0) return { kind: 'rank' };
  const dimA = a.length - 1;
  const dimB = b.length === 1 ? 0 : b.length - 2;
  if (a[dimA] !== b[dimB]) return { kind: 'inner', dimA, sizeA: a[dimA]!, dimB, sizeB: b[dimB]! };
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  const broadcast = broadcastMismatch(batchA, batchB);
  return broadcast ? { kind: 'batch', batchA, batchB, broadcast } : null;
}

/** torch.matmul's result shape (1-D operands promoted and the added dims removed, batch dims broadcast). */
export function checkMatmul(a: readonly number[], b: readonly number[]): number[] {
  const bad = matmulMismatch(a, b);
  if (bad?.kind === 'rank') throw new Error(`matmul: both arguments need at least 1 dimension; got ${shapeText(a)} and ${shapeText(b)}`);
  if (bad?.kind === 'inner') {
    throw new Error(`matmul expects …×n×m and …×m×p (the last dimension of the first equal to the second-to-last of the second); got ${shapeText(a)} and ${shapeText(b)} (${bad.sizeA} ≠ ${bad.sizeB})`);
  }
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), 'matmul batch dimensions');
  const out = [...batch];
  if (a.length > 1) out.push(a[a.length - 2]);
  if (b.length > 1) out.push(b[b.length - 1]);
  return out;
}

/**
 * What is wrong with `cat(tensors, dim)` / `stack(tensors)`: no tensors, entry `entry` with another number
 * of dimensions, or (cat) a size that differs outside `dim` / (stack) a shape that differs from entry 0's.
 */
export type CatMismatch =
  | { kind: 'empty' }
  | { kind: 'rank'; entry: number }
  | { kind: 'size'; entry: number; dim: number; expected: number; got: number }
  | { kind: 'shape'; entry: number };

export function catMismatch(shapes: readonly (readonly number[])[], dim: number, op: 'cat' | 'stack'): CatMismatch | null {
  if (!shapes.length) return { kind: 'empty' };
  const first = shapes[0]!;
  for (let k = 1; k < shapes.length; k++) {
    const s = shapes[k]!;
    if (op === 'stack') {
      if (s.length !== first.length || s.some((d, i) => d !== first[i])) return { kind: 'shape', entry: k };
      continue;
    }
    if (s.length !== first.length) return { kind: 'rank', entry: k };
    const at = dim < 0 ? dim + first.length : dim;
    const i = s.findIndex((d, i) => i !== at && d !== first[i]);
    if (i >= 0) return { kind: 'size', entry: k, dim: i, expected: first[i]!, got: s[i]! };
  }
  return null;
}

export function checkCat(shapes: readonly (readonly number[])[], dim: number, op: 'cat' | 'stack'): void {
  const bad = catMismatch(shapes, dim, op);
  if (!bad) return;
  const first = shapes[0];
  if (bad.kind === 'empty') throw new Error(`${op} expects a non-empty list of tensors`);
  const s = shapes[bad.entry]!;
  if (bad.kind === 'shape') throw new Error(`stack expects each tensor to be equal size, but got ${shapeText(first!)} at entry 0 and ${shapeText(s)} at entry ${bad.entry}`);
  if (bad.kind === 'rank') throw new Error(`cat: tensors must have the same number of dimensions: got ${first!.length} and ${s.length} (entry ${bad.entry}: ${shapeText(s)})`);
  throw new Error(`cat: sizes of tensors must match except in dimension ${dim}. Expected size ${bad.expected} but got size ${bad.got} for tensor number ${bad.entry} in the list (${shapeText(first!)} vs ${shapeText(s)})`);
}
