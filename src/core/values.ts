/**
 * A tensor's values, read lazily from its storage.
 *
 *   readDense(tensor, {signal})            all elements, row-major, in their natural typed array
 *   readSlice(tensor, expr, maxElements)   a numpy-style slice as float64 values, bounded (for the webview)
 *
 * Strided views are walked (elements.ts), byte order handled, fp16/bf16/fp8 decoded to float32, complex as
 * interleaved re/im with a trailing dimension 2, quantized tensors dequantized to float32 when their
 * scale / zero point are known.
 */
import type { DTypeName } from './dtype';
import type { TensorInfo } from './model';
import { UnreadableError } from './model';
import { componentsPerElement, decodeNatural, dequantizeInto, type NaturalArray } from './decode';
import { elementSize, rawBlocks, tensorNumel } from './elements';
import { parseSlice, sliceView } from './slice';

export interface DenseArray {
  /** the tensor's dtype (the data's JS type follows from it, see the module comment) */
  dtype: DTypeName;
  /** the tensor's shape, plus a trailing 2 for complex (re, im) and float4 x2 pairs */
  shape: number[];
  data: NaturalArray;
  /** complex tensors: data interleaves real and imaginary parts */
  complex?: boolean;
  /** quantized tensors whose values were dequantized into a Float32Array */
  dequantized?: boolean;
}

export interface SliceResult {
  dtype: DTypeName;
  /** shape of the selection (before truncation) */
  shape: number[];
  /** selected values in row-major order; complex values interleave re, im (trailing dim 2 in `shape`) */
  values: Float64Array;
  /** the selection written out in full: `[2, 0:16, 0:8]` */
  expr: string;
  /** number of elements in the selection */
  total: number;
  /** true when `values` holds only the first `maxElements` elements */
  truncated: boolean;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** Largest tensor readDense will materialise (elements); beyond it use statistics or slices. */
export const MAX_DENSE_BYTES = 2 ** 31 - 1;

async function collectRaw(tensor: TensorInfo, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
  const k = elementSize(tensor.dtype);
  const total = (end - start) * k;
  if (total > MAX_DENSE_BYTES) throw new UnreadableError(`${total} bytes is too large to read at once`, tensor.name || 'tensor');
  const out = new Uint8Array(total);
  let o = 0;
  for await (const block of rawBlocks(tensor, { start, end, signal, blockElements: 1 << 22 })) {
    out.set(block.bytes, o);
    o += block.bytes.length;
  }
  if (o !== total) throw new UnreadableError(`storage is truncated (${o} of ${total} bytes)`, tensor.name || 'tensor');
  return out;
}

/** Per-element dequantization of raw quantized integers (per-tensor or per-channel); `first` = row-major index of data[0]. */
export function dequantize(tensor: TensorInfo, data: NaturalArray, first = 0): Float32Array | null {
  if (!tensor.quant) return null;
  const out = new Float32Array(data.length);
  return dequantizeInto(data as Int8Array | Uint8Array | Int32Array, out, tensor.quant, tensor.shape, first) ? out : null;
}

/** All of the tensor's elements in row-major order, in their natural type. */
export async function readDense(tensor: TensorInfo, options: ReadOptions = {}): Promise<DenseArray> {
  const numel = tensorNumel(tensor);
  const raw = await collectRaw(tensor, 0, numel, options.signal);
  const byteOrder = tensor.storage?.byteOrder ?? 'little';
  const data = decodeNatural(tensor.dtype, raw, byteOrder);
  const parts = componentsPerElement(tensor.dtype);
  const shape = parts > 1 ? [...tensor.shape, parts] : [...tensor.shape];
  const isComplex = tensor.dtype.startsWith('complex');
  if (tensor.quant) {
    const deq = dequantize(tensor, data);
    if (deq) return { dtype: tensor.dtype, shape, data: deq, dequantized: true };
  }
  return isComplex ? { dtype: tensor.dtype, shape, data, complex: true } : { dtype: tensor.dtype, shape, data };
}

function toFloat64(data: NaturalArray): Float64Array {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  return Float64Array.from(data);
}

/** Quantization parameters of a slice: per-channel scales follow the channel axis through the selection. */
function slicedQuant(tensor: TensorInfo, dims: ReturnType<typeof parseSlice>['dims']): TensorInfo['quant'] {
  const q = tensor.quant;
  if (!q || !q.scales || q.axis === undefined) return q;
  const sel = dims[q.axis];
  if (!sel) return q;
  const zps = q.zeroPoints ?? [];
  if (sel.kind === 'index') return { scheme: 'per_tensor_affine', scale: q.scales[sel.index], zeroPoint: zps[sel.index] ?? 0 };
  const pick = (arr: number[]) => Array.from({ length: sel.length }, (_, i) => arr[sel.start + i * sel.step] ?? 0);
  const axis = dims.slice(0, q.axis).filter((d) => d.kind === 'range').length;
  return { ...q, axis, scales: pick(q.scales), zeroPoints: pick(zps) };
}

/**
 * A slice of the tensor (`[2, :, 0:8]`, negative indices, steps, `...`) as float64 values, reading only the
 * storage it needs; at most `maxElements` elements are returned (`truncated` says when there were more).
 */
export async function readSlice(tensor: TensorInfo, expr: string, maxElements: number, options: ReadOptions = {}): Promise<SliceResult> {
  const parsed = parseSlice(expr, tensor.shape);
  const view = sliceView(parsed, tensor.stride, tensor.storageOffset);
  const viewTensor: TensorInfo = { ...tensor, ...view, contiguous: false };
  const total = tensorNumel(viewTensor);
  const count = Math.max(0, Math.min(total, Math.floor(maxElements)));
  const raw = await collectRaw(viewTensor, 0, count, options.signal);
  const natural = decodeNatural(tensor.dtype, raw, tensor.storage?.byteOrder ?? 'little');
  const deq = tensor.quant ? dequantize({ ...viewTensor, quant: slicedQuant(tensor, parsed.dims) }, natural) : null;
  const parts = componentsPerElement(tensor.dtype);
  return {
    dtype: tensor.dtype,
    shape: parts > 1 ? [...view.shape, parts] : view.shape,
    values: toFloat64(deq ?? natural),
    expr: parsed.normalized,
    total,
    truncated: count < total,
  };
}
