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
 * The header is read entry by entry (./safetensorsHeader.ts).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, FormatReader, JsonValue, OpenOptions, TensorInfo } from '../model';
import { UnreadableError, lazyTensorRefs, setJsonKey } from '../model';
import { FileRegionStorage, SharedFile } from '../byteSource';
import { outsideWarning, readRegular } from '../fileGuard';
import { stridedTensor } from '../tensorInfo';
import { contiguousStrides } from '../layout';
import { readSafetensorsHeader } from './safetensorsHeader';
import { firstDuplicate } from '../duplicateNames';

/** safetensors refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

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

interface OpenedFile {
  file: SharedFile;
  metadata: Record<string, string>;
  /** byte offset where the data section starts */
  dataStart: number;
}

/**
 * Open one safetensors file and make a tensor of each header entry (`keyPrefix` before each storage key).
 * Equal shapes share one shape and one stride array: a million tensors of a few shapes hold a few arrays.
 */
async function openOne(p: string, keyPrefix: string, into: (t: TensorInfo) => void): Promise<OpenedFile> {
  const file = await SharedFile.open(p);
  try {
    if (file.size < 8) throw new UnreadableError(`${file.size} bytes is too short for a safetensors file`, 'safetensors');
    const n = headerLength(await file.read(0, 8));
    if (8 + n > file.size) throw new UnreadableError(`header of ${n} bytes runs past the end of the ${file.size}-byte file (truncated)`, 'safetensors');
    const dataStart = 8 + n;
    const strides = new Map<readonly number[], number[]>();
    const metadata = await readSafetensorsHeader((o, l) => file.read(8 + o, l), n, file.size - dataStart, (e) => {
      let stride = strides.get(e.shape);
      if (!stride) { stride = Object.freeze(contiguousStrides(e.shape)) as number[]; strides.set(e.shape, stride); }
      const storage = new FileRegionStorage(keyPrefix + e.name, e.dtype, file, dataStart + e.begin, e.end - e.begin, e.name);
      into(stridedTensor(e.name, e.shape as number[], storage, { stride }));
    });
    return { file, metadata, dataStart };
  } catch (err) {
    await file.close();
    throw err;
  }
}

function producerOf(metadata: Record<string, string>): string {
  return metadata.format ? `safetensors (format=${metadata.format})` : 'safetensors';
}

async function openSingle(p: string): Promise<Checkpoint> {
  const tensors: TensorInfo[] = [];
  const { file, metadata, dataStart } = await openOne(p, '', (t) => tensors.push(t));
  // which of two entries of one name a reader takes is not defined: refused
  const twice = firstDuplicate(tensors.length, (i) => tensors[i].name);
  if (twice !== undefined) {
    await file.close();
    throw new UnreadableError(`tensor ${twice} appears twice in the header`, 'safetensors');
  }
  const header = { metadata, dataStart };
  // the metadata after the tensors: putting it first would copy a million-member object
  return lazyTensorRefs({
    path: p,
    format: 'safetensors' as const,
    tensors,
    warnings: [],
    globals: [],
    producer: producerOf(header.metadata),
    meta: { 'header bytes': String(header.dataStart - 8), ...prefixed(header.metadata) },
    close: () => file.close(),
  }, Object.keys(metadata).length ? { __metadata__: metadata } : {});
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
      const { file, metadata } = await openOne(shardPath, `${f}:`, (t) => {
        tensors.push(t);
        setJsonKey(content, t.name, { $tensor: t.name });
      });
      closers.push(() => file.close());
      producer = producerOf(metadata);
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
