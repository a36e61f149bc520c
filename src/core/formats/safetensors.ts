/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`), then the
 * data. Only the header is read at open; each tensor's bytes are a lazy file region (its own storage).
 *
 * Sharded sets open as ONE checkpoint: a folder of `*.safetensors` files, or a `*.safetensors.index.json`
 * (`{"weight_map": {name: file}}`). `pytorch_model.bin.index.json` sets are opened through `openCheckpoint`
 * shard by shard (torch readers) and merged.
 *
 *   safetensorsReader: FormatReader       single files, folders of shards, index files
 *   parseSafetensorsHeader(bytes, size)   header → entries (validated against the file size)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, FormatReader, JsonValue, OpenOptions, StorageInfo, TensorInfo } from '../model';
import { UnreadableError, setJsonKey, tensorRefs } from '../model';
import type { DTypeName } from '../dtype';
import { dtypeInfo } from '../dtype';
import { SharedFile, fileRegion } from '../byteSource';
import { outsideWarning, readRegular } from '../fileGuard';
import { stridedTensor } from '../tensorInfo';
import { numelOf } from '../layout';

const DTYPES: Record<string, DTypeName> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
  F8_E4M3: 'float8_e4m3fn', F8_E5M2: 'float8_e5m2', F8_E8M0: 'float8_e8m0fnu',
  F8_E4M3FNUZ: 'float8_e4m3fnuz', F8_E5M2FNUZ: 'float8_e5m2fnuz',
  C64: 'complex64', C128: 'complex128', F4: 'float4_e2m1fn_x2',
};

/** safetensors refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: DTypeName;
  /** the file's own dtype code (`F32`, …) */
  code: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** byte offset where the data section starts */
  dataStart: number;
}

function isSafetensorsHead(head: Uint8Array): boolean {
  if (head.length < 10) return false;
  const lo = head[0] | (head[1] << 8) | (head[2] << 16);
  const n = lo + head[3] * 2 ** 24 + head[4] * 2 ** 32 + head[5] * 2 ** 40;
  if (head[6] !== 0 || head[7] !== 0 || n < 2 || n > MAX_HEADER) return false;
  return head[8] === 0x7b; // '{'
}

function headerLength(head: Uint8Array): number {
  const v = new DataView(head.buffer, head.byteOffset, 8);
  const n = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER) throw new UnreadableError(`header length ${n} is beyond the 100 MB safetensors allows`, 'safetensors');
  return n;
}

export function parseSafetensorsHeader(json: Uint8Array, fileSize: number): SafetensorsHeader {
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(json).toString('utf8'));
  } catch (err) {
    throw new UnreadableError(`header is not valid JSON (${(err as Error).message.split('\n')[0]})`, 'safetensors');
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UnreadableError('header is not a JSON object', 'safetensors');
  const dataStart = 8 + json.length;
  const dataSize = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(obj as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
        metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!e || typeof e !== 'object') throw new UnreadableError(`entry ${name} is not an object`, 'safetensors');
    const code = typeof e.dtype === 'string' ? e.dtype : '';
    const dtype = DTYPES[code];
    if (!dtype) throw new UnreadableError(`tensor ${name} has unknown dtype ${JSON.stringify(e.dtype)}`, 'safetensors');
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new UnreadableError(`tensor ${name} has an invalid shape`, 'safetensors');
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new UnreadableError(`tensor ${name} has invalid data_offsets`, 'safetensors');
    }
    const [begin, end] = offs as number[];
    const numel = numelOf(shape as number[]);
    const expected = numel * dtypeInfo(dtype).itemSize;
    if (end < begin || end - begin !== expected) {
      throw new UnreadableError(`tensor ${name}: data_offsets [${begin}, ${end}] do not match ${code}${JSON.stringify(shape)} (${expected} bytes)`, 'safetensors');
    }
    if (end > dataSize) throw new UnreadableError(`tensor ${name} ends at byte ${end} of a ${Math.max(0, dataSize)}-byte data section (truncated file)`, 'safetensors');
    entries.push({ name, dtype, code, shape: shape as number[], begin, end });
  }
  return { entries, metadata, dataStart };
}

function tensorOf(entry: SafetensorsEntry, file: SharedFile, dataStart: number, keyPrefix: string): TensorInfo {
  const storage: StorageInfo = {
    key: keyPrefix + entry.name,
    dtype: entry.dtype,
    bytes: entry.end - entry.begin,
    device: 'cpu',
    byteOrder: 'little',
    source: fileRegion(file, dataStart + entry.begin, entry.end - entry.begin, `${entry.name} in ${file.path}`),
  };
  return stridedTensor(entry.name, entry.shape, storage);
}

interface OpenedFile {
  file: SharedFile;
  header: SafetensorsHeader;
}

async function openOne(p: string): Promise<OpenedFile> {
  const file = await SharedFile.open(p);
  try {
    if (file.size < 8) throw new UnreadableError(`${file.size} bytes is too short for a safetensors file`, 'safetensors');
    const n = headerLength(await file.read(0, 8));
    if (8 + n > file.size) throw new UnreadableError(`header of ${n} bytes runs past the end of the ${file.size}-byte file (truncated)`, 'safetensors');
    const header = parseSafetensorsHeader(await file.read(8, n), file.size);
    return { file, header };
  } catch (err) {
    await file.close();
    throw err;
  }
}

function producerOf(metadata: Record<string, string>): string {
  return metadata.format ? `safetensors (format=${metadata.format})` : 'safetensors';
}

async function openSingle(p: string): Promise<Checkpoint> {
  const { file, header } = await openOne(p);
  const tensors = header.entries.map((e) => tensorOf(e, file, header.dataStart, ''));
  const content = tensorRefs(tensors);
  return {
    path: p,
    format: 'safetensors',
    tensors,
    content: Object.keys(header.metadata).length ? { __metadata__: header.metadata, ...content } : content,
    warnings: [],
    globals: [],
    producer: producerOf(header.metadata),
    meta: { 'header bytes': String(header.dataStart - 8), ...prefixed(header.metadata) },
    close: () => file.close(),
  };
}

function prefixed(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`metadata ${k}`, v]));
}

/** Shard files of a set: from an index's weight_map (in first-appearance order) or a folder listing. */
async function shardList(p: string): Promise<{ dir: string; files: string[]; index?: string; bin: boolean }> {
  const st = await fsp.stat(p).catch(() => { throw new UnreadableError('no such file', 'cannot open'); });
  let dir = p;
  let index: string | undefined;
  if (st.isDirectory()) {
    const names = (await fsp.readdir(p)).sort();
    index = names.find((n) => n.endsWith('.safetensors.index.json')) ?? names.find((n) => n === 'pytorch_model.bin.index.json');
    if (!index) {
      const files = names.filter((n) => n.endsWith('.safetensors'));
      if (!files.length) throw new UnreadableError('folder holds no .safetensors files', 'safetensors set');
      return { dir, files, bin: false };
    }
    index = path.join(p, index);
  } else {
    index = p;
    dir = path.dirname(p);
  }
  let parsed: unknown;
  const bytes = await readRegular(index, MAX_HEADER);
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new UnreadableError(`index ${path.basename(index)} is not valid JSON (${(err as Error).message.split('\n')[0]})`, 'sharded checkpoint');
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object') throw new UnreadableError(`index ${path.basename(index)} has no weight_map`, 'sharded checkpoint');
  const files = new Set<string>();
  for (const f of Object.values(map as Record<string, unknown>)) {
    if (typeof f !== 'string' || f.includes('..') || path.isAbsolute(f)) throw new UnreadableError(`weight_map names a bad shard ${JSON.stringify(f)}`, 'sharded checkpoint');
    // a shard is a weights file: an index (this one: a cycle) or a folder would open another set in turn
    if (isIndexName(f)) throw new UnreadableError(`weight_map names an index file, not a shard: ${JSON.stringify(f)}${path.join(dir, f) === index ? ' (itself)' : ''}`, 'sharded checkpoint');
    files.add(f);
  }
  return { dir, files: [...files], index, bin: path.basename(index) === 'pytorch_model.bin.index.json' };
}

async function openSet(p: string, options?: OpenOptions): Promise<Checkpoint> {
  const { dir, files, index, bin } = await shardList(p);
  const closers: Array<() => Promise<void>> = [];
  const tensors: TensorInfo[] = [];
  const warnings: string[] = [];
  const content: Record<string, JsonValue> = {};
  let producer = 'safetensors';
  let format: Checkpoint['format'] = 'safetensors';
  const meta: Record<string, string> = { shards: String(files.length) };
  if (index) meta.index = path.basename(index);
  let current: string | undefined;
  try {
    for (const f of files) {
      current = f;
      if (options?.signal?.aborted) throw new UnreadableError('aborted');
      const shardPath = path.join(dir, f);
      const outside = await outsideWarning(dir, shardPath);
      if (outside) warnings.push(outside);
      if (bin) {
        const st = await fsp.stat(shardPath).catch(() => undefined);
        if (st?.isDirectory()) throw new UnreadableError(`shard ${f} is a folder, not a weights file`, 'sharded checkpoint');
        // torch shards: opened by whichever reader takes them (H1's torch readers), merged by name
        const { openCheckpoint } = await import('../open');
        const ck = await openCheckpoint(shardPath, options);
        closers.push(() => ck.close());
        format = ck.format;
        producer = ck.producer ?? producer;
        warnings.push(...ck.warnings.map((w) => `${f}: ${w}`));
        for (const t of ck.tensors) {
          tensors.push({ ...t, storage: t.storage ? { ...t.storage, key: `${f}/${t.storage.key}` } : null });
          setJsonKey(content, t.name, { $tensor: t.name });
        }
        continue;
      }
      const { file, header } = await openOne(shardPath);
      closers.push(() => file.close());
      producer = producerOf(header.metadata);
      for (const e of header.entries) {
        tensors.push(tensorOf(e, file, header.dataStart, `${f}:`));
        setJsonKey(content, e.name, { $tensor: e.name });
      }
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err instanceof UnreadableError && current ? new UnreadableError(`shard ${current}: ${err.message}`, 'sharded checkpoint') : err;
  }
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) warnings.push(`tensor ${t.name} appears in more than one shard`);
    seen.add(t.name);
  }
  return {
    path: p,
    format,
    tensors,
    content,
    warnings,
    globals: [],
    producer: `${producer}, ${files.length} shard${files.length === 1 ? '' : 's'}`,
    meta,
    close: async () => { await Promise.all(closers.map((c) => c())); },
  };
}

function isIndexName(p: string): boolean {
  const b = path.basename(p);
  return b.endsWith('.safetensors.index.json') || b === 'pytorch_model.bin.index.json';
}

export const safetensorsReader: FormatReader = {
  format: 'safetensors',
  detect(head, p, entries) {
    if (entries.length > 0 && head.length === 0) { // a folder (for zip files `entries` are members)
      if (entries.includes('.metadata')) return false; // a distributed checkpoint
      return entries.some((n) => n.endsWith('.safetensors') || n.endsWith('.safetensors.index.json') || n === 'pytorch_model.bin.index.json');
    }
    if (isIndexName(p) && head[0] === 0x7b) return true;
    return isSafetensorsHead(head);
  },
  async open(p, options) {
    const st = await fsp.stat(p).catch(() => null);
    if (st?.isDirectory() || isIndexName(p)) return openSet(p, options);
    return openSingle(p);
  },
};
