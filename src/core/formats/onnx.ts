/**
 * ONNX models: the graph's initializers as tensors (own names), read with a small hand-written protobuf
 * walker that reads field headers through a buffered cursor and SKIPS big fields (raw_data, packed
 * float_data, node lists) without reading them — their file positions become lazy byte sources.
 *
 * Data can sit in `raw_data` (a file region), in typed fields (`float_data` / `double_data` packed: a file
 * region too; `int32_data` / `int64_data` / `uint64_data` varints: decoded on first read), or in external
 * files (`data_location = EXTERNAL`, `location` / `offset` / `length`, relative to the model's folder).
 *
 *   onnxReader: FormatReader
 */
import path from 'node:path';
import type { ByteSource, Checkpoint, FormatReader, JsonValue, StorageInfo, TensorInfo } from '../model';
import { UnreadableError, setJsonKey, tensorRefs } from '../model';
import type { DTypeName } from '../dtype';
import { dtypeInfo, numpyNameOf } from '../dtype';
import { outsideWarning } from '../fileGuard';
import { SharedFile, fileRegion } from '../byteSource';
import { stridedTensor } from '../tensorInfo';
import { numelOf } from '../layout';

const DATA_TYPES: Record<number, DTypeName> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8_e4m3fn', 18: 'float8_e4m3fnuz', 19: 'float8_e5m2', 20: 'float8_e5m2fnuz', 23: 'float4_e2m1fn_x2',
};
const DATA_TYPE_NAMES: Record<number, string> = { 8: 'STRING', 21: 'UINT4', 22: 'INT4' };

/** A region of the file holding one field's payload. */
interface Region { offset: number; length: number; wire: number }

/** Buffered forward reader over a file region, for protobuf field headers and small fields. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  constructor(private readonly file: SharedFile, public pos: number) {}

  private async ensure(n: number): Promise<void> {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const want = Math.max(n, 1 << 16);
    this.buf = await this.file.read(this.pos, want);
    this.bufStart = this.pos;
    if (this.buf.length < n) throw new UnreadableError(`unexpected end of file at byte ${this.pos} (truncated)`, 'ONNX model');
  }

  async varint(): Promise<number> {
    await this.ensure(Math.min(10, this.file.size - this.pos) || 1);
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const idx = this.pos - this.bufStart;
      if (idx >= this.buf.length) throw new UnreadableError(`truncated varint at byte ${this.pos}`, 'ONNX model');
      const b = this.buf[idx];
      this.pos++;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new UnreadableError(`malformed varint at byte ${this.pos}`, 'ONNX model');
  }

  async bytes(n: number): Promise<Uint8Array> {
    if (n > 64 << 20) throw new UnreadableError(`field of ${n} bytes is too large to read at byte ${this.pos}`, 'ONNX model');
    await this.ensure(n);
    const s = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(s, s + n);
  }

  skip(n: number): void {
    this.pos += n;
  }
}

/** Walk the fields of a message occupying [cur.pos, end): varint fields come with their value, others with the cursor at their payload (skipped afterwards unless read). */
async function walkWithVarints(cur: Cursor, end: number, onField: (field: number, wire: number, len: number, value: number) => Promise<boolean>): Promise<void> {
  while (cur.pos < end) {
    const key = await cur.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new UnreadableError(`invalid protobuf field 0 at byte ${cur.pos}`, 'ONNX model');
    if (wire === 0) {
      const v = await cur.varint();
      await onField(field, wire, 0, v);
      continue;
    }
    let len: number;
    if (wire === 1) len = 8;
    else if (wire === 5) len = 4;
    else if (wire === 2) len = await cur.varint();
    else throw new UnreadableError(`unsupported protobuf wire type ${wire} at byte ${cur.pos}`, 'ONNX model');
    if (cur.pos + len > end) throw new UnreadableError(`field ${field} runs past its message (truncated?)`, 'ONNX model');
    const payloadStart = cur.pos;
    await onField(field, wire, len, 0);
    cur.pos = payloadStart + len;
  }
  if (cur.pos !== end) throw new UnreadableError(`message overruns its length at byte ${cur.pos}`, 'ONNX model');
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

interface RawInit {
  name: string;
  dims: number[];
  dataType: number;
  raw?: Region;
  typed: Map<number, Region[]>;
  external: Record<string, string>;
  dataLocation: number;
}

/** Decode varints of `regions` into `count` elements of `dtype` (little-endian bytes). */
async function decodeVarintRegions(file: SharedFile, regions: Region[], dtype: DTypeName, count: number): Promise<Uint8Array> {
  const k = dtypeInfo(dtype).itemSize;
  const out = new Uint8Array(count * k);
  const view = new DataView(out.buffer);
  let i = 0;
  for (const r of regions) {
    const bytes = await file.read(r.offset, r.length);
    let p = 0;
    while (p < bytes.length && i < count) {
      let lo = 0;
      let hi = 0;
      let shift = 0;
      let b: number;
      do {
        b = bytes[p++];
        if (shift < 28) lo |= (b & 0x7f) << shift;
        else if (shift === 28) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >> 4; }
        else hi |= (b & 0x7f) << (shift - 32);
        shift += 7;
      } while (b & 0x80 && p < bytes.length && shift < 70);
      lo >>>= 0;
      switch (k) {
        case 1: out[i] = lo & 0xff; break;
        case 2: view.setUint16(i * 2, lo & 0xffff, true); break;
        case 4: view.setUint32(i * 4, lo, true); break;
        default: view.setUint32(i * 8, lo, true); view.setUint32(i * 8 + 4, hi >>> 0, true);
      }
      i++;
    }
  }
  if (i < count) throw new UnreadableError(`typed data holds ${i} of ${count} elements`, 'ONNX initializer');
  return out;
}

function lazyDecoded(label: string, size: number, produce: () => Promise<Uint8Array>): ByteSource {
  let cache: Promise<Uint8Array> | undefined;
  return {
    size,
    async read(offset, length) {
      cache ??= produce();
      const all = await cache;
      return all.subarray(Math.max(0, offset), Math.min(size, offset + length));
    },
    describe: () => label,
  };
}

/** Where the typed fields keep each data type (ONNX's TensorProto rules). */
function typedFieldOf(dataType: number): number {
  switch (dataType) {
    case 1: case 14: return 4; // float_data
    case 11: case 15: return 10; // double_data
    case 7: return 7; // int64_data
    case 12: case 13: return 11; // uint64_data
    default: return 5; // int32_data
  }
}

export const onnxReader: FormatReader = {
  format: 'onnx',
  detect(head, p) {
    // ModelProto starts with ir_version (field 1, varint: 0x08) and names a graph; extension as a hint
    if (head.length < 2) return false;
    if (head[0] === 0x08 && head[1] > 0 && head[1] < 20 && /\.onnx$/i.test(p)) return true;
    if (head[0] !== 0x08 || head[1] === 0 || head[1] >= 20) return false;
    const s = Buffer.from(head.subarray(0, Math.min(head.length, 256))).toString('latin1');
    return /pytorch|onnx|tf2onnx|skl2onnx|keras|onnxruntime|ai\.onnx/i.test(s);
  },
  async open(p, options): Promise<Checkpoint> {
    const file = await SharedFile.open(p);
    const externals = new Map<string, SharedFile>();
    try {
      const cur = new Cursor(file, 0);
      const meta: Record<string, string> = {};
      let producer = '';
      let producerVersion = '';
      const opsets: string[] = [];
      const inits: RawInit[] = [];
      let sparseCount = 0;
      let graphName = '';
      let sawGraph = false;
      await walkWithVarints(cur, file.size, async (field, wire, len, value) => {
        if (field === 1 && wire === 0) meta['ir version'] = String(value);
        else if (field === 2 && wire === 2) producer = text(await cur.bytes(Math.min(len, 4096)));
        else if (field === 3 && wire === 2) producerVersion = text(await cur.bytes(Math.min(len, 4096)));
        else if (field === 8 && wire === 2) {
          let domain = '';
          let version = 0;
          const end = cur.pos + len;
          await walkWithVarints(cur, end, async (f, w, l, v) => {
            if (f === 1 && w === 2) domain = text(await cur.bytes(Math.min(l, 1024)));
            else if (f === 2 && w === 0) version = v;
            return true;
          });
          opsets.push(`${domain || 'ai.onnx'} ${version}`);
        } else if (field === 7 && wire === 2) {
          sawGraph = true;
          const gEnd = cur.pos + len;
          await walkWithVarints(cur, gEnd, async (gf, gw, gl) => {
            if (options?.signal?.aborted) throw new UnreadableError('aborted');
            if (gf === 2 && gw === 2) graphName = text(await cur.bytes(Math.min(gl, 4096)));
            else if (gf === 5 && gw === 2) inits.push(await readTensorProto(cur, cur.pos + gl));
            else if (gf === 15 && gw === 2) sparseCount++;
            return true;
          });
        }
        return true;
      });
      if (!sawGraph) throw new UnreadableError('no graph found (not an ONNX model?)', 'ONNX model');
      const warnings: string[] = [];
      if (sparseCount) warnings.push(`${sparseCount} sparse initializer(s) are not listed`);
      const tensors: TensorInfo[] = [];
      const dir = path.dirname(p);
      for (const init of inits) {
        const t = await initTensor(init, file, dir, externals, warnings);
        if (t) tensors.push(t);
      }
      if (opsets.length) meta.opset = opsets.join(', ');
      if (graphName) meta.graph = graphName;
      const content = tensorRefs(tensors);
      return {
        path: p,
        format: 'onnx',
        tensors,
        content,
        warnings,
        globals: [],
        producer: [producer, producerVersion].filter(Boolean).join(' ') || 'onnx',
        meta,
        close: async () => {
          await file.close();
          await Promise.all([...externals.values()].map((f) => f.close()));
        },
      };
    } catch (err) {
      await file.close();
      await Promise.all([...externals.values()].map((f) => f.close()));
      throw err;
    }
  },
};

async function readTensorProto(cur: Cursor, end: number): Promise<RawInit> {
  const init: RawInit = { name: '', dims: [], dataType: 0, typed: new Map(), external: {}, dataLocation: 0 };
  await walkWithVarints(cur, end, async (f, w, l, v) => {
    if (f === 1) {
      if (w === 0) init.dims.push(v);
      else if (w === 2) {
        const b = await cur.bytes(l);
        let p = 0;
        while (p < b.length) {
          let val = 0;
          let mul = 1;
          let byte: number;
          do { byte = b[p++]; val += (byte & 0x7f) * mul; mul *= 128; } while (byte & 0x80 && p < b.length);
          init.dims.push(val);
        }
      }
    } else if (f === 2 && w === 0) init.dataType = v;
    else if (f === 8 && w === 2) init.name = text(await cur.bytes(Math.min(l, 1 << 16)));
    else if (f === 9 && w === 2) init.raw = { offset: cur.pos, length: l, wire: w };
    else if (f === 14 && w === 0) init.dataLocation = v;
    else if (f === 13 && w === 2) {
      let key = '';
      let value = '';
      await walkWithVarints(cur, cur.pos + l, async (kf, kw, kl) => {
        if (kf === 1 && kw === 2) key = text(await cur.bytes(Math.min(kl, 4096)));
        else if (kf === 2 && kw === 2) value = text(await cur.bytes(Math.min(kl, 4096)));
        return true;
      });
      init.external[key] = value;
    } else if (f === 4 || f === 5 || f === 7 || f === 10 || f === 11) {
      const list = init.typed.get(f) ?? [];
      if (w === 2) list.push({ offset: cur.pos, length: l, wire: w });
      else if (w === 0) list.push({ offset: -1, length: 0, wire: 0 }); // unpacked scalar: rare, see initTensor
      else list.push({ offset: cur.pos, length: w === 1 ? 8 : 4, wire: w });
      init.typed.set(f, list);
    }
    return true;
  });
  return init;
}

async function initTensor(init: RawInit, file: SharedFile, dir: string, externals: Map<string, SharedFile>, warnings: string[]): Promise<TensorInfo | null> {
  const dtype = DATA_TYPES[init.dataType];
  const name = init.name;
  if (!dtype) {
    warnings.push(`initializer ${name} has data type ${DATA_TYPE_NAMES[init.dataType] ?? init.dataType}, which is not listed`);
    return null;
  }
  const shape = init.dims;
  const numel = numelOf(shape);
  const itemSize = dtypeInfo(dtype).itemSize;
  const bytes = numel * itemSize;
  if (!Number.isSafeInteger(bytes)) throw new UnreadableError(`initializer ${name} has an impossible shape`, 'ONNX model');
  let source: ByteSource | null = null;
  const where = `${name} in ${file.path}`;
  if (init.dataLocation === 1) {
    const loc = init.external.location ?? '';
    if (!loc || path.isAbsolute(loc) || loc.split(/[\\/]/).includes('..')) {
      warnings.push(`initializer ${name}: external data location ${JSON.stringify(loc)} is refused`);
    } else {
      const extPath = path.join(dir, loc);
      let ext = externals.get(extPath);
      if (!ext) {
        try {
          ext = await SharedFile.open(extPath);
          externals.set(extPath, ext);
          const outside = await outsideWarning(dir, extPath);
          if (outside) warnings.push(outside);
        } catch (err) {
          const reason = err instanceof UnreadableError && err.reason !== 'no such file' ? err.message : 'is missing';
          warnings.push(`initializer ${name}: external data file ${loc} ${reason === 'is missing' ? reason : `cannot be read (${reason})`}`);
        }
      }
      if (ext) {
        const offset = Number(init.external.offset ?? 0);
        const length = init.external.length !== undefined ? Number(init.external.length) : bytes;
        if (!Number.isSafeInteger(offset) || offset < 0 || offset + bytes > ext.size || length < bytes) {
          warnings.push(`initializer ${name}: external data ${loc} [${offset}, +${bytes}] lies outside the ${ext.size}-byte file`);
        } else source = fileRegion(ext, offset, bytes, `${name} in ${extPath}`);
      }
    }
  } else if (init.raw) {
    if (init.raw.length !== bytes) throw new UnreadableError(`initializer ${name}: raw_data has ${init.raw.length} bytes, its shape needs ${bytes}`, 'ONNX model');
    source = fileRegion(file, init.raw.offset, init.raw.length, where);
  } else {
    const field = typedFieldOf(init.dataType);
    const regions = init.typed.get(field) ?? [];
    const fixed = field === 4 || field === 10; // float / double: little-endian fixed-width, packed
    if (numel === 0) source = fileRegion(file, 0, 0, where);
    else if (regions.some((r) => r.offset < 0)) {
      warnings.push(`initializer ${name}: unpacked varint data is not supported`);
    } else if (fixed) {
      const total = regions.reduce((a, r) => a + r.length, 0);
      if (total !== bytes) throw new UnreadableError(`initializer ${name}: typed data has ${total} bytes, its shape needs ${bytes}`, 'ONNX model');
      source = regions.length === 1 ? fileRegion(file, regions[0].offset, bytes, where)
        : lazyDecoded(where, bytes, async () => {
          const out = new Uint8Array(bytes);
          let o = 0;
          for (const r of regions) { out.set(await file.read(r.offset, r.length), o); o += r.length; }
          return out;
        });
    } else if (regions.length) {
      source = lazyDecoded(where, bytes, () => decodeVarintRegions(file, regions, dtype, numel));
    } else {
      warnings.push(`initializer ${name} holds no data`);
    }
  }
  const storage: StorageInfo = { key: name, dtype, bytes, device: 'cpu', byteOrder: 'little', source };
  return stridedTensor(name, shape, storage, {}, { numpy: true, numpyDtype: numpyNameOf(dtype) });
}
