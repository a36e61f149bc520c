/**
 * A live tensor as an in-memory {@link Checkpoint} (format `live`), so the inspector can show it as it
 * shows a file's: metadata from the hover answer, values fetched lazily in bounded chunks (≤ 4 MiB per
 * evaluate) through the helper — only the requested slice leaves the tensor's device.
 * A plain strided torch tensor is shown with its real strides, storage offset and layout, over its
 * storage's bytes (a view shows as a view); anything else (numpy arrays, quantized tensors, subclasses)
 * as its elements in C order, with the program's strides named in a warning.
 */
import { dtypeInfo, isDTypeName, type DTypeName } from '../core/dtype';
import type { ByteSource, Checkpoint, TensorInfo } from '../core/model';
import { stridedTensor } from '../core/tensorInfo';
import type { LiveTensor } from './protocol';
import type { TensorHelper } from './tensorHelper';

const CHUNK = 4 << 20;

export class LiveByteSource implements ByteSource {
  /**
   * @param target the expression, or the pinned value's reference
   * @param storage true: the bytes of the tensor's storage; false: its elements in C order
   * @param where how messages name the place (`nhwc in train (train.py:12)`)
   */
  constructor(private readonly helper: TensorHelper, private readonly target: string, private readonly frameId: number, readonly size: number,
    private readonly storage: boolean, private readonly where: string) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let at = offset; at < end; at += CHUNK) {
      const part = await this.helper.readBytes(this.target, this.frameId, at, Math.min(CHUNK, end - at), this.storage);
      out.set(part, at - offset);
      if (part.length < Math.min(CHUNK, end - at)) return out.subarray(0, at - offset + part.length);
    }
    return out;
  }

  async *chunks(offset: number, length: number, chunkSize: number): AsyncIterable<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    for (let at = offset; at < end; at += Math.min(chunkSize, CHUNK)) yield this.read(at, Math.min(chunkSize, CHUNK, end - at));
  }

  describe(): string { return `live ${this.storage ? 'storage of' : 'tensor'} ${this.where}`; }
}

/** The torch/numpy dtype name as ours (`float32`; numpy `float32` alike); unknown names map to `unknown`. */
export function liveDType(t: LiveTensor): DTypeName {
  const name = t.dtype === 'bool_' ? 'bool' : t.dtype;
  return isDTypeName(name) ? name : 'unknown';
}

/** Where a live tensor was read: the expression and the frame, by function and line (`train.py:12`). */
export interface LiveFrameLabel { name: string; source?: string; line?: number }

export function frameText(frame: LiveFrameLabel | undefined): string {
  if (!frame) return 'the stopped frame';
  const at = frame.source ? `${frame.source}${frame.line ? `:${frame.line}` : ''}` : frame.line ? `line ${frame.line}` : '';
  return at ? `${frame.name} (${at})` : frame.name;
}

export function liveCheckpoint(helper: TensorHelper, expr: string, frameId: number, t: LiveTensor, frame?: LiveFrameLabel): Checkpoint {
  const dtype = liveDType(t);
  const itemSize = dtypeInfo(dtype).itemSize || 0;
  const readable = t.device !== 'meta' && (t.layout ?? 'strided') === 'strided' && itemSize > 0;
  const where = `${expr} in ${frameText(frame)}`;
  const asStorage = readable && t.kind === 'tensor' && t.storageBytes !== undefined;
  const bytes = asStorage ? t.storageBytes! : t.numel * itemSize;
  const storage = {
    key: `live:${expr}`, dtype, bytes, device: t.device, byteOrder: 'little' as const,
    source: readable ? new LiveByteSource(helper, t.ref ?? expr, frameId, bytes, asStorage, where) : null,
  };
  const extra = { ...(t.kind === 'ndarray' ? { numpy: true, numpyDtype: t.dtype } : {}), ...(t.isParameter ? { isParameter: true } : {}) };
  // the storage's bytes: the tensor's own strides and offset index them; else the bytes are its elements in C order
  const tensor: TensorInfo = asStorage
    ? stridedTensor(expr, t.shape, storage, { stride: t.stride, storageOffset: t.storageOffset ?? 0, device: t.device, requiresGrad: t.requiresGrad }, extra)
    : stridedTensor(expr, t.shape, storage, { device: t.device, requiresGrad: t.requiresGrad }, extra);
  const warnings: string[] = [];
  if (!asStorage && !t.contiguous && t.stride.length) {
    warnings.push(`${expr} is not contiguous in the program (stride ${JSON.stringify(t.stride)}); its values are shown in logical (C) order`);
  }
  if (t.note) warnings.push(t.note);
  return {
    path: `debug:${expr}`, format: 'live', tensors: [tensor], content: { $tensor: expr }, warnings, globals: [],
    producer: 'debugger (live)',
    meta: {
      expression: expr, frame: frameText(frame), 'grad_fn': t.gradFn ?? '—',
      ...(asStorage ? {} : { 'live stride': JSON.stringify(t.stride) }),
    },
    close: async () => undefined,
  };
}
