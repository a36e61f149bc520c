/**
 * Byte builders for the adversarial corpus: pickle opcodes, a zip writer (stored members, and deflated
 * members given as raw deflate streams, so bombs of 1 GiB cost a megabyte to make), npy headers and
 * safetensors files. Written for the tests; nothing here is used by the extension.
 */
import { deflateRawSync, constants as zc } from 'node:zlib';

const enc = new TextEncoder();

/** A pickle being written, protocol 2 opcodes plus a few of protocol 4. */
export class PickleWriter {
  private buf = new Uint8Array(1 << 16);
  private size = 0;
  private room(n: number): void {
    if (this.size + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.size + n));
    next.set(this.buf.subarray(0, this.size));
    this.buf = next;
  }
  bytes(b: Uint8Array | number[] | string): this {
    if (typeof b === 'string') {
      this.room(b.length);
      for (let i = 0; i < b.length; i++) this.buf[this.size++] = b.charCodeAt(i) & 0xff;
      return this;
    }
    this.room(b.length);
    this.buf.set(b, this.size);
    this.size += b.length;
    return this;
  }
  proto(p = 2): this { return this.bytes([0x80, p]); }
  str(s: string): this {
    const u = enc.encode(s);
    return this.bytes([0x58, ...u32(u.length)]).bytes(u);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.bytes([0x4b, n]);
    return this.bytes([0x4a, ...u32(n >>> 0)]);
  }
  global(module: string, name: string): this { return this.bytes(`c${module}\n${name}\n`); }
  mark(): this { return this.bytes('('); }
  tuple(): this { return this.bytes('t'); }
  reduce(): this { return this.bytes('R'); }
  emptyDict(): this { return this.bytes('}'); }
  emptyTuple(): this { return this.bytes(')'); }
  setItems(): this { return this.bytes('u'); }
  put(i: number): this { return this.bytes([0x72, ...u32(i)]); }
  get(i: number): this { return this.bytes([0x6a, ...u32(i)]); }
  binPersId(): this { return this.bytes('Q'); }
  stop(): this { return this.bytes('.'); }
  done(): Uint8Array { return this.buf.slice(0, this.size); }
}

export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

export function concat(parts: Uint8Array[], size = parts.reduce((a, p) => a + p.length, 0)): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A pickle calling `os.system('touch CANARY')` when Python unpickles it (the classic payload). */
export function payloadPickle(canary: string, protocol = 2): Uint8Array {
  return new PickleWriter().proto(protocol).global('posix', 'system').mark().str(`touch ${canary}`).tuple().reduce().stop().done();
}

/**
 * `torch._utils._rebuild_tensor_v2` of storage `key` for `count` tensors named `t0…`, each `numel` float32
 * elements at `offsetOf(i)`: the storage's persistent id is memoized once, so 300k tensors cost ~40 bytes each.
 */
export function torchStateDictPickle(count: number, numel: number, storageNumel: number, offsetOf: (i: number) => number = () => 0): Uint8Array {
  const w = new PickleWriter().proto(2);
  w.global('collections', 'OrderedDict').put(0).emptyTuple().reduce().put(1);
  w.global('torch._utils', '_rebuild_tensor_v2').put(2).bytes('0'); // memoized, then POPped
  w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(storageNumel).tuple().put(3).bytes('0');
  for (let start = 0; start < count; start += 1000) {
    w.mark();
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      w.str(`t${i}`).get(2).mark().get(3).binPersId().int(offsetOf(i)).mark().int(numel).tuple().mark().int(1).tuple()
        .bytes([0x89]).get(0).emptyTuple().reduce().tuple().reduce();
    }
    w.setItems();
  }
  return w.stop().done();
}

export interface ZipMember {
  name: string;
  /** stored bytes, or a raw deflate stream with its inflated size */
  data: Uint8Array | { deflated: Uint8Array; size: number };
  /** write no local header and data: point at the local header of this earlier member (overlapping entries) */
  sameAs?: string;
}

/** A zip archive (no ZIP64; CRCs left 0, which our reader and Python's zipfile only check on read). */
export function zip(members: ZipMember[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const offsets = new Map<string, { offset: number; method: number; csize: number; size: number }>();
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    let info = m.sameAs ? offsets.get(m.sameAs) : undefined;
    if (!info) {
      const stored = m.data instanceof Uint8Array;
      const body = m.data instanceof Uint8Array ? m.data : m.data.deflated;
      const size = m.data instanceof Uint8Array ? m.data.length : m.data.size;
      const method = stored ? 0 : 8;
      const lh = new Uint8Array(30 + name.length);
      const v = new DataView(lh.buffer);
      v.setUint32(0, 0x04034b50, true); v.setUint16(4, 20, true); v.setUint16(8, method, true);
      v.setUint32(18, body.length, true); v.setUint32(22, size, true); v.setUint16(26, name.length, true);
      lh.set(name, 30);
      info = { offset, method, csize: body.length, size };
      locals.push(lh, body);
      offset += lh.length + body.length;
    }
    offsets.set(m.name, info);
    const ch = new Uint8Array(46 + name.length);
    const v = new DataView(ch.buffer);
    v.setUint32(0, 0x02014b50, true); v.setUint16(4, 20, true); v.setUint16(6, 20, true); v.setUint16(10, info.method, true);
    v.setUint32(20, info.csize, true); v.setUint32(24, info.size, true); v.setUint16(28, name.length, true);
    v.setUint32(42, info.offset, true);
    ch.set(name, 46);
    central.push(ch);
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const v = new DataView(eocd.buffer);
  v.setUint32(0, 0x06054b50, true); v.setUint16(8, central.length, true); v.setUint16(10, central.length, true);
  v.setUint32(12, cdSize, true); v.setUint32(16, offset, true);
  return concat([...locals, ...central, eocd]);
}

/**
 * A raw deflate stream inflating to `prefix` followed by `zeroMiB` MiB of zeros, made from one
 * sync-flushed MiB of zeros repeated (about 1 KiB per MiB).
 */
export function zeroBomb(prefix: Uint8Array, zeroMiB: number): { deflated: Uint8Array; size: number } {
  const head = deflateRawSync(prefix, { finishFlush: zc.Z_SYNC_FLUSH });
  const block = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zc.Z_SYNC_FLUSH, level: 9 });
  const parts: Uint8Array[] = [head];
  for (let i = 0; i < zeroMiB; i++) parts.push(block);
  parts.push(Uint8Array.from([0x03, 0x00])); // an empty final block
  return { deflated: concat(parts), size: prefix.length + zeroMiB * (1 << 20) };
}

/** A torch.save zip around `pkl` with one float32 storage `data/0` of `storageBytes` bytes. */
export function torchZip(pkl: Uint8Array | { deflated: Uint8Array; size: number }, storageBytes: number): Uint8Array {
  return zip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/byteorder', data: enc.encode('little') },
    { name: 'archive/data/0', data: new Uint8Array(storageBytes) },
    { name: 'archive/version', data: enc.encode('3\n') },
  ]);
}

/** An .npy header (version 1.0) for `descr` and `shape`, padded to 64 bytes. */
export function npyHeader(descr: string, shape: number[], fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  out.set(latin1(dict), 10);
  return out;
}

/** A safetensors file: header entries as given (raw JSON values), then `dataBytes` zero bytes. */
export function safetensors(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

/** The header text of a safetensors file with `n` one-element float32 tensors named by `nameOf`. */
export function manyTensorsSafetensors(n: number, nameOf: (i: number) => string = (i) => `model.layers.${i >> 6}.block.${i & 63}.weight`): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`${JSON.stringify(nameOf(i))}:{"dtype":"F32","shape":[1],"data_offsets":[${i * 4},${i * 4 + 4}]}`);
  const json = enc.encode(`{${parts.join(',')}}`);
  const out = new Uint8Array(8 + json.length + n * 4);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}
