/**
 * A compute result as an in-memory Checkpoint (one tensor), for the inspector: a view keeps the shape, strides
 * and offset torch would report over its input's storage (same storage key as the input when given).
 */
import { bufferSource } from '../core/byteSource';
import type { DTypeName } from '../core/dtype';
import { contiguousStrides } from '../core/layout';
import { stridedTensor } from '../core/tensorInfo';
import type { Checkpoint, TensorInfo } from '../core/model';
import { floatToHalf } from '../core/npyWrite';
import type { Dense } from './dense';
import { strideOf } from './dense';

/** The storage bytes of a compute tensor's data, in its dtype's layout (little-endian). */
export function storageBytes(dtype: DTypeName, data: Dense['data']): Uint8Array {
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const src = data as Float32Array;
    const out = new Uint16Array(src.length);
    if (dtype === 'float16') for (let i = 0; i < src.length; i++) out[i] = floatToHalf(src[i]);
    else {
      const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
      for (let i = 0; i < src.length; i++) out[i] = u[i] >>> 16;
    }
    return new Uint8Array(out.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function resultCheckpoint(t: Dense, name: string, title: string, facts: Record<string, string> = {}, storageKey = 'result'): Checkpoint {
  const stride = strideOf(t);
  const bytes = storageBytes(t.dtype, t.data);
  const storage = { key: storageKey, dtype: t.dtype, bytes: bytes.length, device: 'cpu', byteOrder: 'little' as const, source: bufferSource(bytes, title) };
  const tensor: TensorInfo = stridedTensor(name, [...t.shape], storage, { stride, storageOffset: t.offset ?? 0 });
  return {
    path: title,
    format: 'computed',
    tensors: [tensor],
    content: { $tensor: name },
    warnings: [],
    globals: [],
    producer: 'tensorscope compute',
    meta: { unsaved: 'yes', ...facts, contiguousStrides: contiguousStrides(t.shape).join(',') },
    close: async () => undefined,
  };
}
