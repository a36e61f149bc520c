/** Shape checks made before anything runs, with the reason in plain words. */
import { shapeText } from './dense';

export function broadcastShapes(a: readonly number[], b: readonly number[], what: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${what}: shapes ${shapeText(a)} and ${shapeText(b)} are not broadcastable (dimension ${i - n}: ${da} vs ${db}; sizes must match or be 1)`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function checkBmm(a: readonly number[], b: readonly number[]): number[] {
  const ok = a.length === 3 && b.length === 3 && a[0] === b[0] && a[2] === b[1];
  if (!ok) throw new Error(`bmm expects b×n×m and b×m×p; got ${shapeText(a)} and ${shapeText(b)}`);
  return [a[0], a[1], b[2]];
}

/** torch.matmul's result shape (1-D operands promoted and the added dims removed, batch dims broadcast). */
export function checkMatmul(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0 || b.length === 0) throw new Error(`matmul: both arguments need at least 1 dimension; got ${shapeText(a)} and ${shapeText(b)}`);
  const a2 = a.length === 1 ? [1, a[0]] : [...a];
  const b2 = b.length === 1 ? [b[0], 1] : [...b];
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (k1 !== k2) {
    throw new Error(`matmul expects …×n×m and …×m×p (the last dimension of the first equal to the second-to-last of the second); got ${shapeText(a)} and ${shapeText(b)} (${k1} ≠ ${k2})`);
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), 'matmul batch dimensions');
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

export function checkCat(shapes: readonly (readonly number[])[], dim: number, op: 'cat' | 'stack'): void {
  if (!shapes.length) throw new Error(`${op} expects a non-empty list of tensors`);
  const first = shapes[0];
  shapes.forEach((s, k) => {
    if (op === 'stack') {
      if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
        throw new Error(`stack expects each tensor to be equal size, but got ${shapeText(first)} at entry 0 and ${shapeText(s)} at entry ${k}`);
      }
      return;
    }
    if (s.length !== first.length) throw new Error(`cat: tensors must have the same number of dimensions: got ${first.length} and ${s.length} (entry ${k}: ${shapeText(s)})`);
    s.forEach((d, i) => {
      if (i !== dim && d !== first[i]) {
        throw new Error(`cat: sizes of tensors must match except in dimension ${dim}. Expected size ${first[i]} but got size ${d} for tensor number ${k} in the list (${shapeText(first)} vs ${shapeText(s)})`);
      }
    });
  });
}
