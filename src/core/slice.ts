/**
 * numpy-style slice expressions over a shape: `[2, :, 0:8]`, `-1`, `::2`, `5:0:-1`, `...`.
 * Pure: `parseSlice(expr, shape)` → per-dimension selections, the result shape and a normalized expression;
 * `sliceView(...)` applies them to strides. Errors are `SliceError`s with a one-line message.
 */

export class SliceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SliceError';
  }
}

export type DimSelection =
  | { kind: 'index'; index: number }
  | { kind: 'range'; start: number; step: number; length: number };

export interface ParsedSlice {
  /** one selection per dimension of the input shape */
  dims: DimSelection[];
  /** shape of the result (index selections drop their dimension) */
  shape: number[];
  /** canonical text, e.g. `[2, 0:3, 0:8:2]` */
  normalized: string;
}

type Item = { kind: 'ellipsis' } | { kind: 'index'; value: number } | { kind: 'range'; start?: number; stop?: number; step?: number };

function parseInteger(text: string, expr: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^[+-]?\d+$/.test(t)) throw new SliceError(`'${t}' is not an integer in slice '${expr}'`);
  const v = Number(t);
  if (!Number.isSafeInteger(v)) throw new SliceError(`'${t}' is too large in slice '${expr}'`);
  return v;
}

function parseItems(expr: string): Item[] {
  let body = expr.trim();
  if (body.startsWith('[')) {
    if (!body.endsWith(']')) throw new SliceError(`unbalanced brackets in slice '${expr}'`);
    body = body.slice(1, -1);
  }
  if (body.trim() === '') return [];
  const items: Item[] = [];
  for (const raw of body.split(',')) {
    const part = raw.trim();
    if (part === '') {
      throw new SliceError(`empty item in slice '${expr}'`);
    }
    if (part === '...' || part === '…') {
      items.push({ kind: 'ellipsis' });
      continue;
    }
    const bits = part.split(':');
    if (bits.length === 1) {
      items.push({ kind: 'index', value: parseInteger(bits[0], expr) as number });
    } else if (bits.length <= 3) {
      const step = bits.length === 3 ? parseInteger(bits[2], expr) : undefined;
      if (step === 0) throw new SliceError(`slice step cannot be zero in '${expr}'`);
      items.push({ kind: 'range', start: parseInteger(bits[0], expr), stop: parseInteger(bits[1], expr), step });
    } else {
      throw new SliceError(`too many ':' in '${part}'`);
    }
  }
  if (items.filter((i) => i.kind === 'ellipsis').length > 1) throw new SliceError(`only one '...' allowed in slice '${expr}'`);
  return items;
}

/** Python's slice.indices(): clamp start/stop for `size`, count the selected elements. */
function resolveRange(size: number, start: number | undefined, stop: number | undefined, stepIn: number | undefined): { start: number; step: number; length: number } {
  const step = stepIn ?? 1;
  let lo: number;
  let hi: number;
  if (step > 0) {
    lo = start === undefined ? 0 : start < 0 ? Math.max(0, start + size) : Math.min(start, size);
    hi = stop === undefined ? size : stop < 0 ? Math.max(0, stop + size) : Math.min(stop, size);
    const length = hi > lo ? Math.ceil((hi - lo) / step) : 0;
    return { start: length ? lo : 0, step, length };
  }
  lo = start === undefined ? size - 1 : start < 0 ? Math.max(-1, start + size) : Math.min(start, size - 1);
  hi = stop === undefined ? -1 : stop < 0 ? Math.max(-1, stop + size) : Math.min(stop, size - 1);
  const length = lo > hi ? Math.ceil((lo - hi) / -step) : 0;
  return { start: length ? lo : 0, step, length };
}

function rangeText(start: number, step: number, length: number): string {
  if (length === 0) return step === 1 ? `${start}:${start}` : `${start}:${start}:${step}`;
  const stop = start + step * length;
  const stopText = stop < 0 ? '' : String(stop); // a negative step running past index 0
  return step === 1 ? `${start}:${stopText}` : `${start}:${stopText}:${step}`;
}

/** Parse `expr` against `shape`. Missing trailing dimensions are taken whole. */
export function parseSlice(expr: string, shape: readonly number[]): ParsedSlice {
  const items = parseItems(expr);
  const explicit = items.filter((i) => i.kind !== 'ellipsis').length;
  if (explicit > shape.length) throw new SliceError(`too many indices: slice '${expr}' has ${explicit}, the tensor has ${shape.length} dimensions`);
  const expanded: Item[] = [];
  for (const it of items) {
    if (it.kind === 'ellipsis') for (let j = 0; j < shape.length - explicit; j++) expanded.push({ kind: 'range' });
    else expanded.push(it);
  }
  while (expanded.length < shape.length) expanded.push({ kind: 'range' });
  const dims: DimSelection[] = [];
  const outShape: number[] = [];
  const texts: string[] = [];
  expanded.forEach((it, d) => {
    const size = shape[d];
    if (it.kind === 'index') {
      const idx = it.value < 0 ? it.value + size : it.value;
      if (idx < 0 || idx >= size) throw new SliceError(`index ${it.value} is out of bounds for dimension ${d} with size ${size}`);
      dims.push({ kind: 'index', index: idx });
      texts.push(String(idx));
    } else if (it.kind === 'range') {
      const r = resolveRange(size, it.start, it.stop, it.step);
      dims.push({ kind: 'range', ...r });
      outShape.push(r.length);
      texts.push(rangeText(r.start, r.step, r.length));
    }
  });
  return { dims, shape: outShape, normalized: `[${texts.join(', ')}]` };
}

/** Shape, strides and storage offset of the selected view of a strided tensor. */
export function sliceView(parsed: ParsedSlice, stride: readonly number[], storageOffset: number): { shape: number[]; stride: number[]; storageOffset: number } {
  let offset = storageOffset;
  const shape: number[] = [];
  const outStride: number[] = [];
  parsed.dims.forEach((sel, d) => {
    if (sel.kind === 'index') offset += sel.index * stride[d];
    else {
      if (sel.length > 0) offset += sel.start * stride[d];
      shape.push(sel.length);
      outStride.push(sel.step * stride[d]);
    }
  });
  return { shape, stride: outStride, storageOffset: offset };
}
