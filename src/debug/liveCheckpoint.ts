/**
 * A live tensor as an in-memory {@link Checkpoint} (format `live`), so the inspector can show it:
 * metadata from the hover answer, values fetched lazily in bounded chunks (≤ 4 MiB per evaluate)
 * through the helper, in C order — only the requested slice leaves the tensor's device.
 */
import { dtypeInfo, isDTypeName, type DTypeName } from '../core/dtype';
import type { ByteSource, Checkpoint, TensorInfo } from '../core/model';
import type { LiveTensor } from './protocol';
import type { TensorHelper } from './tensorHelper';

const CHUNK = 4 << 20;

export class LiveByteSource implements ByteSource {
  constructor(private readonly helper: TensorHelper, private readonly expr: string, private readonly frameId: number, readonly size: number) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let at = offset; at < end; at += CHUNK) {
      const part = await this.helper.readBytes(this.expr, this.frameId, at, Math.min(CHUNK, end - at));
      out.set(part, at - offset);
      if (part.length < Math.min(CHUNK, end - at)) return out.subarray(0, at - offset + part.length);
    }
    return out;
  }

  async *chunks(offset: number, length: number, chunkSize: number): AsyncIterable<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    for (let at = offset; at < end; at += Math.min(chunkSize, CHUNK)) yield this.read(at, Math.min(chunkSize, CHUNK, end - at));
  }

  describe(): string { return `live tensor ${this.expr} (debugger, frame ${this.frameId})`; }
}

/** The torch/numpy dtype name as ours (`float32`; numpy `float32` alike); unknown names map to `unknown`. */
export function liveDType(t: LiveTensor): DTypeName {
  const name = t.dtype === 'bool_' ? 'bool' : t.dtype;
  return isDTypeName(name) ? name : 'unknown';
}

function contiguousStrides(shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { out[i] = s; s *= Math.max(1, shape[i]!); }
  return out;
}

export function liveCheckpoint(helper: TensorHelper, expr: string, frameId: number, t: LiveTensor): Checkpoint {
  const dtype = liveDType(t);
  const readable = t.device !== 'meta' && (t.layout ?? 'strided') === 'strided' && dtypeInfo(dtype).itemSize > 0;
  const bytes = t.numel * (dtypeInfo(dtype).itemSize || 0);
  const tensor: TensorInfo = {
    name: expr, dtype, shape: t.shape, stride: contiguousStrides(t.shape), storageOffset: 0,
    // the bytes we serve are in C order, whatever the live strides are (those are in the meta fields)
    contiguous: true, memoryFormat: 'contiguous', layout: 'strided', device: t.device, requiresGrad: t.requiresGrad,
    storage: {
      key: `live:${expr}`, dtype, bytes, device: t.device, byteOrder: 'little',
      source: readable ? new LiveByteSource(helper, t.ref ?? expr, frameId, bytes) : null,
    },
    ...(t.kind === 'ndarray' ? { numpy: true, numpyDtype: t.dtype } : {}),
    ...(t.isParameter ? { isParameter: true } : {}),
  };
  const warnings: string[] = [];
  if (!t.contiguous) warnings.push(`${expr} is not contiguous in the program (stride ${JSON.stringify(t.stride)}); values are shown in logical (C) order`);
  if (t.note) warnings.push(t.note);
  return {
    path: `debug:${expr}`, format: 'live', tensors: [tensor], content: { $tensor: expr }, warnings, globals: [],
    producer: 'debugger (live)',
    meta: { expression: expr, 'live stride': JSON.stringify(t.stride), 'grad_fn': t.gradFn ?? '—', frame: String(frameId) },
    close: async () => undefined,
  };
}
