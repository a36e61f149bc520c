/**
 * A tensor's own elements as raw bytes, in row-major order, in bounded blocks — strided views walked
 * correctly (transposes, slices, stride-0 expands, negative strides from slicing), the file read in large
 * chunks, nothing held beyond one block plus one read window.
 *
 *   rawBlocks(tensor, options)   async blocks of raw element bytes (storage byte order), item-size aligned
 *   elementSize(dtype)           bytes per element as stored
 *   tensorNumel(tensor)
 */
import type { DTypeName } from './dtype';
import { dtypeInfo } from './dtype';
import type { ByteSource, TensorInfo } from './model';
import { UnreadableError } from './model';
import { isContiguous, numelOf, storageExtent } from './layout';

export interface RawBlock {
  /** raw bytes of `count` consecutive elements (row-major), aligned to the element size */
  bytes: Uint8Array;
  /** row-major index of the block's first element */
  first: number;
  count: number;
  /** true when `bytes` is a buffer made here (a gather or a concatenation), not memory a ByteSource handed out */
  owned: boolean;
}

export interface RawBlockOptions {
  /** elements per block (default 1 Mi) */
  blockElements?: number;
  /** the range of row-major element indices to produce (default: all) */
  start?: number;
  end?: number;
  signal?: AbortSignal;
  /** the largest storage window read at once for strided views (bytes, default 64 MiB) */
  windowBytes?: number;
}

export function elementSize(dtype: DTypeName): number {
  return dtypeInfo(dtype).itemSize;
}

export function tensorNumel(tensor: Pick<TensorInfo, 'shape'>): number {
  let n = 1;
  for (const d of tensor.shape) n *= d;
  return n;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    throw reason instanceof Error ? reason : new Error('aborted');
  }
}

/** The tensor's byte source, or a clean error saying why there is none. */
export function sourceOf(tensor: TensorInfo): ByteSource {
  if (tensor.layout !== 'strided' || !tensor.storage) throw new UnreadableError(`${tensor.layout} tensor has no dense values`, tensor.name || 'tensor');
  if (!tensor.storage.source) throw new UnreadableError(`its bytes are not in the file (device ${tensor.storage.device})`, tensor.name || 'tensor');
  if (elementSize(tensor.dtype) === 0) throw new UnreadableError(`dtype ${tensor.numpyDtype ?? tensor.dtype} has no fixed-size elements`, tensor.name || 'tensor');
  return tensor.storage.source;
}

/** Collects variable-sized pieces into blocks of a fixed number of elements. */
class Blocker {
  private parts: Uint8Array[] = [];
  private have = 0;
  private first: number;
  constructor(private readonly k: number, private readonly blockBytes: number, first: number) {
    this.first = first;
  }
  *push(bytes: Uint8Array, owned = false): Generator<RawBlock> {
    let b = bytes;
    while (b.length > 0) {
      if (this.have === 0 && b.length >= this.blockBytes) {
        const piece = b.subarray(0, this.blockBytes);
        b = b.subarray(this.blockBytes);
        yield this.emit([piece], this.blockBytes, owned);
        continue;
      }
      const take = Math.min(b.length, this.blockBytes - this.have);
      this.parts.push(b.subarray(0, take));
      this.have += take;
      b = b.subarray(take);
      if (this.have === this.blockBytes) yield this.flushBlock();
    }
  }
  *end(): Generator<RawBlock> {
    if (this.have > 0) yield this.flushBlock();
  }
  private flushBlock(): RawBlock {
    const parts = this.parts;
    const have = this.have;
    this.parts = [];
    this.have = 0;
    return this.emit(parts, have);
  }
  private emit(parts: Uint8Array[], length: number, owned = false): RawBlock {
    let bytes: Uint8Array;
    if (parts.length === 1) bytes = parts[0];
    else {
      owned = true;
      bytes = new Uint8Array(length);
      let o = 0;
      for (const p of parts) { bytes.set(p, o); o += p.length; }
    }
    const count = length / this.k;
    const block = { bytes, first: this.first, count, owned };
    this.first += count;
    return block;
  }
}

async function readExact(src: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (offset < 0 || offset + length > src.size) {
    throw new UnreadableError(`elements lie outside their storage (bytes ${offset}..${offset + length} of ${src.size})`, what);
  }
  const got = await src.read(offset, length);
  if (got.length < length) throw new UnreadableError(`storage is truncated (${got.length} of ${length} bytes at ${offset})`, what);
  return got;
}

/** Row-major gather of a strided tensor out of a window of storage (`window` starts at element `base`). */
export function gather(window: Uint8Array, k: number, shape: readonly number[], stride: readonly number[], offset: number, start: number, count: number): Uint8Array {
  let w = window;
  const unit = k % 4 === 0 ? 4 : k % 2 === 0 ? 2 : 1;
  if (w.byteOffset % unit !== 0) w = new Uint8Array(w); // a copy (Buffer#slice would not copy)
  const per = k / unit;
  const src = unit === 4 ? new Uint32Array(w.buffer, w.byteOffset, w.length >> 2)
    : unit === 2 ? new Uint16Array(w.buffer, w.byteOffset, w.length >> 1) : w;
  const outBytes = new Uint8Array(count * k);
  const dst = unit === 4 ? new Uint32Array(outBytes.buffer) : unit === 2 ? new Uint16Array(outBytes.buffer) : outBytes;
  const nd = shape.length;
  // odometer positioned at row-major index `start`
  const idx = new Array<number>(nd).fill(0);
  let pos = offset;
  let rem = start;
  for (let d = nd - 1; d >= 0; d--) {
    const s = shape[d];
    idx[d] = rem % s;
    rem = Math.floor(rem / s);
    pos += idx[d] * stride[d];
  }
  const last = nd - 1;
  const innerStride = nd > 0 ? stride[last] : 0;
  const innerSize = nd > 0 ? shape[last] : 1;
  let o = 0;
  for (let i = 0; i < count; i++) {
    const sp = pos * per;
    for (let j = 0; j < per; j++) dst[o++] = src[sp + j];
    if (nd === 0) break;
    // advance the odometer
    if (++idx[last] < innerSize) { pos += innerStride; continue; }
    pos -= innerStride * (innerSize - 1);
    idx[last] = 0;
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { pos += stride[d]; break; }
      pos -= stride[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
  return outBytes;
}

/**
 * Raw bytes of the tensor's elements `[start, end)` in row-major order, in blocks of `blockElements`.
 * Contiguous tensors stream straight from the storage; views read bounded windows and gather.
 */
export async function* rawBlocks(tensor: TensorInfo, options: RawBlockOptions = {}): AsyncGenerator<RawBlock> {
  const src = sourceOf(tensor);
  const k = elementSize(tensor.dtype);
  const numel = tensorNumel(tensor);
  const start = Math.max(0, Math.min(options.start ?? 0, numel));
  const end = Math.max(start, Math.min(options.end ?? numel, numel));
  if (end <= start) return;
  const blockElements = Math.max(1, Math.floor(options.blockElements ?? 1 << 20));
  const windowBytes = Math.max(k, options.windowBytes ?? 64 << 20);
  const what = tensor.name || 'tensor';
  const shape = tensor.shape;
  const stride = tensor.stride.length === shape.length ? tensor.stride : null;
  if (!stride) throw new UnreadableError('stride and shape disagree', what);
  const blocker = new Blocker(k, blockElements * k, start);

  if (isContiguous(shape, stride)) {
    const byteStart = (tensor.storageOffset + start) * k;
    const byteLen = (end - start) * k;
    if (byteStart < 0 || byteStart + byteLen > src.size) {
      throw new UnreadableError(`elements lie outside their storage (bytes ${byteStart}..${byteStart + byteLen} of ${src.size})`, what);
    }
    // read whole blocks at a time (each read its own buffer, so workers can take it without a copy);
    // tiny blocks are batched into reads of at least 64 KiB
    const blockBytes = blockElements * k;
    const aligned = Math.min(byteLen, blockBytes * Math.max(1, Math.ceil((64 << 10) / blockBytes)));
    let got = 0;
    if (src.chunks) {
      for await (const piece of src.chunks(byteStart, byteLen, aligned)) {
        checkAbort(options.signal);
        got += piece.length;
        yield* blocker.push(piece, src.readsFresh === true);
      }
    } else {
      for (let off = 0; off < byteLen; off += aligned) {
        checkAbort(options.signal);
        const piece = await readExact(src, byteStart + off, Math.min(aligned, byteLen - off), what);
        got += piece.length;
        yield* blocker.push(piece, src.readsFresh === true);
      }
    }
    if (got < byteLen) throw new UnreadableError(`storage is truncated (${got} of ${byteLen} bytes)`, what);
    yield* blocker.end();
    return;
  }

  // Strided view: walk dimension 0 in groups whose storage window fits in `windowBytes`.
  const self = { src, k, what, windowBytes, signal: options.signal };
  yield* walk(self, shape, stride, tensor.storageOffset, 0, start, end, blocker);
  yield* blocker.end();
}

interface WalkCtx { src: ByteSource; k: number; what: string; windowBytes: number; signal?: AbortSignal }

/**
 * Produce elements [start, end) (row-major indices relative to this sub-tensor, whose first element has
 * global index `base`) of the sub-tensor (shape, stride, offset).
 */
async function* walk(ctx: WalkCtx, shape: readonly number[], stride: readonly number[], offset: number, base: number, start: number, end: number, blocker: Blocker): AsyncGenerator<RawBlock> {
  checkAbort(ctx.signal);
  const numel = numelOf(shape);
  if (numel === 0 || end <= start) return;
  const ext = storageExtent(shape, stride, offset);
  if (!ext) return;
  const extentBytes = (ext.last - ext.first + 1) * ctx.k;
  if (extentBytes <= ctx.windowBytes || shape.length === 0) {
    const win = await readExact(ctx.src, ext.first * ctx.k, extentBytes, ctx.what);
    // gather in pieces so a huge expanded view (stride 0) never materialises at once
    const piece = Math.max(1, Math.floor(ctx.windowBytes / ctx.k));
    for (let s = start; s < end; s += piece) {
      checkAbort(ctx.signal);
      yield* blocker.push(gather(win, ctx.k, shape, stride, offset - ext.first, s, Math.min(piece, end - s)), true);
    }
    return;
  }
  const inner = numel / shape[0];
  const subShape = shape.slice(1);
  const subStride = stride.slice(1);
  const subExt = storageExtent(subShape, subStride, 0);
  const subSpan = subExt ? subExt.last - subExt.first + 1 : 1;
  const s0 = Math.abs(stride[0]);
  const perGroup = subSpan * ctx.k > ctx.windowBytes ? 1
    : Math.max(1, Math.floor((ctx.windowBytes / ctx.k - subSpan) / Math.max(1, s0)) + 1);
  const iFirst = Math.floor(start / inner);
  const iLast = Math.ceil(end / inner); // exclusive
  for (let i = iFirst; i < iLast; i += perGroup) {
    const j = Math.min(iLast, i + perGroup);
    const gShape = [j - i, ...subShape];
    const gStart = Math.max(start, i * inner) - i * inner;
    const gEnd = Math.min(end, j * inner) - i * inner;
    if (perGroup === 1) {
      yield* walk(ctx, subShape, subStride, offset + i * stride[0], base + i * inner, gStart, gEnd, blocker);
    } else {
      yield* walk(ctx, gShape, stride, offset + i * stride[0], base + i * inner, gStart, gEnd, blocker);
    }
  }
}
