/**
 * A checkpoint tensor as a compute tensor (no `vscode` import, unit-tested in test/unit/compute-ext-denseOf.test.ts).
 * A strided tensor of a file keeps its real strides and storage offset over its storage, so that a `permute`,
 * `transpose` or `view` of it gives exactly what torch gives for the tensor as saved (a transposed weight stays
 * transposed; `.view(-1)` on it is refused as torch refuses it). Contiguous tensors, live tensors from the debugger
 * (served in C order), quantized and complex ones, and views of a much larger storage are read packed instead.
 */
import type { Dense } from '../../compute/dense';
import { componentsPerElement, decodeNatural } from '../../core/decode';
import { dtypeInfo } from '../../core/dtype';
import type { TensorInfo } from '../../core/model';
import { readDense } from '../../core/values';
import { numelOf } from '../../core/layout';

/** a view is read with its storage only while the storage span is at most this many times its own element count */
const MAX_SPAN_FACTOR = 4;

export interface DenseOf {
  dense: Dense;
  /** why the tensor's own strides were not kept (when it is not contiguous), for the log */
  note?: string;
}

async function packed(t: TensorInfo, note?: string): Promise<DenseOf> {
  const d = await readDense(t);
  if (d.complex) throw new Error(`${t.name}: complex tensors are not supported by the compute ops`);
  return { dense: { dtype: d.dtype, shape: [...t.shape], data: d.data }, ...(note ? { note } : {}) };
}

/** Reads `length` bytes at `offset` of the storage (sources may return less per call). */
async function readRange(t: TensorInfo, offset: number, length: number): Promise<Uint8Array> {
  const src = t.storage?.source;
  if (!src) throw new Error(`${t.name}: no bytes to read`);
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const part = await src.read(offset + done, length - done);
    if (part.length === 0) throw new Error(`${t.name}: storage ends at byte ${offset + done} of ${offset + length} (${src.describe()})`);
    out.set(part, done);
    done += part.length;
  }
  return out;
}

export async function denseOf(t: TensorInfo): Promise<DenseOf> {
  const offset = t.storageOffset ?? 0;
  const n = numelOf(t.shape);
  const simple = t.contiguous && offset === 0;
  if (simple || n === 0) return packed(t);
  const live = t.storage?.key.startsWith('live:') ?? false;
  if (live) return packed(t, `${t.name} is served in C order by the debugger; its program strides are not kept`);
  if (t.quant || componentsPerElement(t.dtype) !== 1 || t.dtype !== t.storage?.dtype || t.stride.length !== t.shape.length) return packed(t, `${t.name}: read as a contiguous copy (quantized, complex or reinterpreted storage)`);
  if (t.stride.some((s) => s < 0)) return packed(t, `${t.name}: negative strides; read as a contiguous copy`);
  const itemSize = dtypeInfo(t.dtype).itemSize;
  const reach = offset + t.shape.reduce((acc, size, i) => acc + (size - 1) * t.stride[i]!, 0) + 1;
  if (!(itemSize > 0) || reach * itemSize > (t.storage?.bytes ?? 0)) return packed(t, `${t.name}: strides reach past its storage; read as a contiguous copy`);
  if (reach > MAX_SPAN_FACTOR * n + 4096) return packed(t, `${t.name} is a small view of a large storage (${reach} elements); read as a contiguous copy, its strides are not kept`);
  const bytes = await readRange(t, 0, reach * itemSize);
  const data = decodeNatural(t.dtype, bytes, t.storage?.byteOrder ?? 'little');
  return { dense: { dtype: t.dtype, shape: [...t.shape], data, stride: [...t.stride], offset } };
}
