/**
 * `torch.distributed.checkpoint` directories: `.metadata` (a pickle of `Metadata`: per fully qualified
 * name a TensorStorageMetadata with properties, size and chunks; `storage_data` mapping chunk indices to
 * (relative_path, offset, length)) plus `*.distcp` files holding each chunk as a small torch.save archive.
 * Only `.metadata` is read at open; a chunk's bytes are located (its nested archive's directory read)
 * on first access. A tensor saved in several chunks (shards of several ranks) is read as one tensor,
 * assembled from its chunks (blockChunks.ts).
 */
import { promises as fsp } from 'node:fs';
import nodePath from 'node:path';
import type { ByteSource, Checkpoint, FormatReader, JsonValue, OpenOptions, TensorInfo } from '../model';
import { UnreadableError, setJsonKey } from '../model';
import { SharedFile, WindowFile } from '../byteSource';
import { outsideWarning, readRegular } from '../fileGuard';
import { errorMessage } from '../errors';
import { ZipArchive } from '../zip';
import { unpickle } from '../pickle/machine';
import { torchReconstructors, dtypeOfGlobal } from '../pickle/torch';
import { PyDict, PyObject, itemsOf, toNumber, type PyValue } from '../pickle/values';
import { contiguousStrides, isContiguous, memoryFormatOf, numelOf } from '../layout';
import { dtypeInfo } from '../dtype';
import { zipPrefix } from './torchZip';
import { blockChunkSource, blockCoverProblem, type Block } from '../blockChunks';

function attrs(v: PyValue | undefined): PyDict | undefined {
  if (v instanceof PyObject) return v.attributes();
  if (v instanceof PyDict) return v;
  return undefined;
}

function nums(v: PyValue | undefined): number[] {
  return (itemsOf(v) ?? []).map((x) => toNumber(x) ?? 0);
}

/** A chunk's bytes: the first storage of the torch.save archive at [offset, offset+length) of a .distcp file. */
function chunkSource(file: SharedFile, offset: number, length: number, size: number, label: string): ByteSource {
  let inner: Promise<ByteSource> | undefined;
  const resolve = (): Promise<ByteSource> => (inner ??= (async () => {
    const zip = await ZipArchive.fromFile(new WindowFile(file, offset, length, label));
    const prefix = zipPrefix(zip.names) ?? '';
    const e = zip.entries.find((x) => x.name.startsWith(`${prefix}data/`) && !x.name.endsWith('.pkl'));
    if (!e) throw new UnreadableError(`chunk ${label} holds no storage`);
    return zip.source(e);
  })());
  return {
    size,
    async read(off, len) {
      return (await resolve()).read(off, len);
    },
    async *chunks(off, len, chunkSize) {
      const src = await resolve();
      const end = Math.min(size, off + len);
      for (let p = off; p < end; p += chunkSize) yield await src.read(p, Math.min(chunkSize, end - p));
    },
    describe: () => label,
  };
}

interface Place {
  file: string;
  offset: number;
  length: number;
  /** the chunk's position in the tensor's `chunks` list (-1 when not recorded) */
  index: number;
  /** the chunk's offsets in the tensor */
  chunkOffsets?: number[];
}

/** The storage entry of chunk `i` (whose offsets are `offsets`): by its offsets, else by its index. */
function placeOf(where: Place[], i: number, offsets: number[]): Place | undefined {
  const same = (a: number[] | undefined): boolean => a !== undefined && a.length === offsets.length && a.every((x, d) => x === offsets[d]);
  return where.find((w) => same(w.chunkOffsets)) ?? where.find((w) => w.index === i && w.chunkOffsets === undefined);
}

/** `.metadata` of the largest checkpoints is tens of MB; a bigger one is not a DCP index. */
const MAX_METADATA_BYTES = 512 << 20;

export async function openDcp(dir: string, _options?: OpenOptions): Promise<Checkpoint> {
  const metaPath = nodePath.join(dir, '.metadata');
  let data: Uint8Array;
  try {
    data = await readRegular(metaPath, MAX_METADATA_BYTES);
  } catch (err) {
    if (err instanceof UnreadableError && err.reason === 'no such file') throw new UnreadableError('no .metadata file: not a distributed checkpoint directory');
    throw new UnreadableError(`.metadata: ${errorMessage(err)}`);
  }
  const warnings: string[] = [];
  const linked = await outsideWarning(dir, metaPath);
  if (linked) warnings.push(linked);
  const r = unpickle(data, { reconstructors: torchReconstructors(), label: '.metadata' });
  const md = attrs(r.value);
  const sdm = md?.get('state_dict_metadata');
  if (!(sdm instanceof PyDict)) throw new UnreadableError('.metadata has no state_dict_metadata');
  const storageData = md?.get('storage_data');
  // fqn → where each of its chunks is: (relative_path, offset, length), with the chunk's index and offsets
  const places = new Map<string, Place[]>();
  if (storageData instanceof PyDict) {
    for (const [k, v] of storageData.entries()) {
      const ka = attrs(k);
      const va = attrs(v);
      const fqn = ka?.get('fqn');
      if (typeof fqn !== 'string' || !va) continue;
      const list = places.get(fqn) ?? [];
      const chunkOffsets = ka?.get('offset');
      list.push({
        file: String(va.get('relative_path') ?? ''), offset: toNumber(va.get('offset')) ?? 0,
        length: toNumber(va.get('length')) ?? 0, index: toNumber(ka?.get('index')) ?? -1,
        chunkOffsets: chunkOffsets === undefined || chunkOffsets === null ? undefined : nums(chunkOffsets),
      });
      places.set(fqn, list);
    }
  }
  const files = new Map<string, SharedFile>();
  const openFile = async (rel: string): Promise<SharedFile | undefined> => {
    if (!files.has(rel)) {
      const p = nodePath.join(dir, rel);
      if (nodePath.relative(dir, p).startsWith('..')) return undefined;
      try { files.set(rel, await SharedFile.open(p)); } catch { return undefined; }
      const outside = await outsideWarning(dir, p);
      if (outside) warnings.push(outside);
    }
    return files.get(rel);
  };
  const tensors: TensorInfo[] = [];
  const other: { [k: string]: JsonValue } = {};
  for (const [k, v] of sdm.entries()) {
    const fqn = String(k);
    const a = attrs(v);
    const cls = v instanceof PyObject ? v.className : '';
    if (!a || !/TensorStorageMetadata$/.test(cls)) {
      setJsonKey(other, fqn, cls.replace(/^.*\./, '') || 'bytes');
      continue;
    }
    const props = a.get('properties');
    let dtypeV: PyValue | undefined; let requiresGrad = false;
    if (props instanceof PyObject) {
      const st = props.state;
      const pa = props.attributes();
      if (pa) { dtypeV = pa.get('dtype'); requiresGrad = pa.get('requires_grad') === true; }
      else { const t = itemsOf(st ?? null) ?? []; dtypeV = t[0]; requiresGrad = t[2] === true; }
    }
    const dtype = dtypeOfGlobal(dtypeV) ?? 'unknown';
    const shape = nums(a.get('size'));
    const stride = contiguousStrides(shape);
    const chunks = itemsOf(a.get('chunks')) ?? [];
    const numel = numelOf(shape);
    const bytes = numel * (dtypeInfo(dtype).itemSize || 1);
    const where = places.get(fqn) ?? [];
    let storage: TensorInfo['storage'] = null;
    const itemSize = dtypeInfo(dtype).itemSize || 1;
    if (chunks.length === 1 && where.length === 1) {
      const w = where[0];
      const f = await openFile(w.file);
      if (f) {
        storage = {
          key: `${w.file}@${w.offset}`, dtype, bytes, device: 'cpu', byteOrder: 'little',
          source: chunkSource(f, w.offset, w.length, bytes, `${fqn} in ${w.file}`),
        };
      } else {
        warnings.push(`${fqn}: ${w.file} is missing`);
      }
    } else if (chunks.length > 1) {
      // a tensor saved in shards (one chunk per rank): its bytes are assembled from the chunks
      const blocks: Block[] = [];
      let problem: string | undefined;
      for (let i = 0; i < chunks.length && !problem; i++) {
        const ca = attrs(chunks[i]);
        const offsets = nums(ca?.get('offsets'));
        const sizes = nums(ca?.get('sizes'));
        const w = placeOf(where, i, offsets);
        if (!w) { problem = `chunk ${i} has no storage entry`; break; }
        const f = await openFile(w.file);
        if (!f) { problem = `${w.file} is missing`; break; }
        const chunkBytes = numelOf(sizes) * itemSize;
        blocks.push({ offsets, sizes, source: chunkSource(f, w.offset, w.length, chunkBytes, `${fqn} chunk ${i} in ${w.file}`) });
      }
      problem ??= blockCoverProblem(shape, blocks);
      if (problem) {
        warnings.push(`${fqn} is saved in ${chunks.length} chunks that cannot be assembled (${problem})`);
      } else {
        storage = {
          key: `${fqn}#${chunks.length} chunks`, dtype, bytes, device: 'cpu', byteOrder: 'little',
          source: blockChunkSource(shape, itemSize, blocks, fqn),
        };
      }
    }
    tensors.push({
      name: fqn, dtype, shape, stride, storageOffset: 0, contiguous: isContiguous(shape, stride),
      memoryFormat: memoryFormatOf(shape, stride), layout: 'strided', device: 'cpu', requiresGrad, storage,
    });
  }
  const distcp = (await fsp.readdir(dir)).filter((n) => n.endsWith('.distcp'));
  return {
    path: dir, format: 'torch-dcp', tensors, content: { non_tensor_entries: other },
    warnings, globals: r.globals, producer: 'pytorch (torch.distributed.checkpoint)',
    meta: { 'distcp files': String(distcp.length), entries: String(sdm.size) },
    close: async () => { for (const f of files.values()) await f.close(); },
  };
}

export const dcpReader: FormatReader = {
  format: 'torch-dcp',
  detect(_head, _path, entries) {
    return entries.includes('.metadata') && entries.some((n) => n.endsWith('.distcp'));
  },
  open: openDcp,
};
