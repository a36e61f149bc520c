/**
 * Legacy (pre-1.6, `_use_new_zipfile_serialization=False`) torch.save streams:
 *   pickle(magic 0x1950a86a20f9469cfc6c) pickle(1001) pickle(sys_info) pickle(object) pickle([storage keys])
 *   then per key: int64 element count + raw bytes.
 * Storage views (`view_metadata`) become their own storages over a window of the root's bytes.
 * Also the legacy tar layout (`sys_info`, `pickle`, `storages`, `tensors` members; torch ≤ 0.1.x).
 *
 *   legacyReader: FormatReader
 *   loadStorageFromBytes(bytes): TorchStorage     `torch.storage._load_from_bytes` (in-memory legacy stream)
 */
import type { ByteSource, Checkpoint, FormatReader, OpenOptions } from '../model';
import { UnreadableError } from '../model';
import { SharedFile, bufferSource, fileRegion, subSource } from '../byteSource';
import { unpickle, type PickleResult } from '../pickle/machine';
import { TorchStorage, TorchTensor, resolveQuantParams, storageDtype, torchReconstructors } from '../pickle/torch';
import { PyDict, PyGlobal, PyObject, itemsOf, toNumber, type PyValue } from '../pickle/values';
import { dtypeInfo, type DTypeName } from '../dtype';
import { nameTensors, pickleWarnings } from '../naming';
import type { GlobalUse } from '../model';
import { contiguousStrides } from '../layout';

const MAGIC = 0x1950a86a20f9469cfc6cn;

interface RootRef {
  key: string;
  dtype: DTypeName;
  location: string;
  numel: number;
  storages: TorchStorage[];
  views: Array<{ storage: TorchStorage; offset: number; size: number }>;
}

interface LegacyParse {
  root: PyValue;
  keys: string[];
  roots: Map<string, RootRef>;
  end: number;
  globals: GlobalUse[];
  littleEndian: boolean;
  sysInfo: PyValue;
  quantized: TorchTensor[];
}

function mergeGlobals(all: GlobalUse[][]): GlobalUse[] {
  const m = new Map<string, GlobalUse>();
  for (const list of all) for (const g of list) {
    const prev = m.get(g.name);
    if (prev) prev.count += g.count; else m.set(g.name, { ...g });
  }
  return [...m.values()];
}

function isMagic(v: PyValue): boolean {
  return typeof v === 'bigint' && v === MAGIC;
}

/** Parse the five pickles of a legacy stream held (at least up to the storages) in `data`. */
function parseLegacy(data: Uint8Array, label: string, nested: boolean): LegacyParse {
  const r0 = unpickle(data, { label, limits: { maxOps: 1000 } });
  if (!isMagic(r0.value)) throw new UnreadableError('not a legacy torch.save stream (bad magic number)');
  const r1 = unpickle(data, { start: r0.end, label });
  if (r1.value !== 1001) throw new UnreadableError(`unsupported legacy protocol version ${String(r1.value)}`);
  const r2 = unpickle(data, { start: r1.end, label });
  const sysInfo = r2.value;
  const littleEndian = !(sysInfo instanceof PyDict && sysInfo.get('little_endian') === false);
  const roots = new Map<string, RootRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = itemsOf(pid);
    if (!t) throw new UnreadableError('unexpected persistent id');
    if (t[0] === 'module') return t[1] instanceof PyGlobal ? t[1] : new PyObject('module', t.slice(1));
    if (t[0] !== 'storage') throw new UnreadableError(`unexpected persistent id ${String(t[0])}`);
    const [, type, rootKey, location, numel, view] = t;
    const key = String(rootKey);
    const dtype = storageDtype(type);
    let root = roots.get(key);
    if (!root) {
      root = { key, dtype, location: typeof location === 'string' ? location : 'cpu', numel: toNumber(numel) ?? 0, storages: [], views: [] };
      roots.set(key, root);
    }
    const item = dtypeInfo(dtype).itemSize || 1;
    const v = itemsOf(view ?? undefined);
    if (v && v.length >= 3) {
      const viewKey = String(v[0]);
      const offset = toNumber(v[1]) ?? 0;
      const size = toNumber(v[2]) ?? 0;
      const existing = root.views.find((x) => x.storage.key === `${key}/${viewKey}`);
      if (existing) return existing.storage;
      const s = new TorchStorage(`${key}/${viewKey}`, dtype, root.location, size * item);
      root.views.push({ storage: s, offset: offset * item, size: size * item });
      return s;
    }
    const existing = root.storages.find((x) => x.dtype === dtype);
    if (existing) return existing;
    const s = new TorchStorage(key, dtype, root.location, root.numel * item);
    root.storages.push(s);
    return s;
  };
  const quantized: TorchTensor[] = [];
  const r3 = unpickle(data, {
    start: r2.end, label, persistentLoad,
    reconstructors: torchReconstructors({ loadFromBytes: loadStorageFromBytes, quantized }),
  });
  let keys: string[] = [];
  let end = r3.end;
  let r4: PickleResult | undefined;
  if (!(nested && r3.end >= data.length)) {
    r4 = unpickle(data, { start: r3.end, label });
    keys = (itemsOf(r4.value) ?? []).map((k) => String(k));
    end = r4.end;
  }
  return {
    root: r3.value, keys, roots, end, littleEndian, sysInfo, quantized,
    globals: mergeGlobals([r3.globals, r4?.globals ?? []]),
  };
}

function attachSources(p: LegacyParse, located: Map<string, { source: ByteSource; numel: number }>, byteOrder: 'little' | 'big'): string[] {
  const missing: string[] = [];
  for (const root of p.roots.values()) {
    const loc = located.get(root.key);
    if (!loc) { missing.push(root.key); continue; }
    const item = dtypeInfo(root.dtype).itemSize || 1;
    for (const s of root.storages) {
      s.source = loc.source;
      s.bytes = loc.source.size;
      s.byteOrder = byteOrder;
      void item;
    }
    for (const v of root.views) {
      v.storage.source = subSource(loc.source, v.offset, v.size, `${loc.source.describe()} [view]`);
      v.storage.byteOrder = byteOrder;
    }
  }
  return missing;
}

/** Storage headers: int64 element count then bytes; element size from the pickled storage type. */
function itemSizeOf(p: LegacyParse, key: string): number {
  const root = p.roots.get(key);
  return root ? dtypeInfo(root.dtype).itemSize || 1 : 1;
}

function readI64(bytes: Uint8Array, little: boolean): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = v.getBigInt64(0, little);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnreadableError('corrupt storage size in legacy stream');
  return Number(n);
}

/** `torch.storage._load_from_bytes(b)`: a whole legacy stream in memory whose object is one storage. */
export function loadStorageFromBytes(data: Uint8Array): TorchStorage {
  const p = parseLegacy(data, 'nested storage', true);
  const located = new Map<string, { source: ByteSource; numel: number }>();
  let pos = p.end;
  for (const key of p.keys) {
    if (pos + 8 > data.length) break;
    const numel = readI64(data.subarray(pos, pos + 8), p.littleEndian);
    const len = numel * itemSizeOf(p, key);
    located.set(key, { source: bufferSource(data.subarray(pos + 8, pos + 8 + len), 'nested storage bytes'), numel });
    pos += 8 + len;
  }
  attachSources(p, located, p.littleEndian ? 'little' : 'big');
  if (p.root instanceof TorchStorage) return p.root;
  throw new UnreadableError('nested bytes do not hold a storage');
}

/** Most bytes one pickle of a legacy stream may span (the object pickle of a big legacy checkpoint is a few MiB). */
const MAX_PICKLE_BYTES = 512 << 20;

/** Unpickle the pickle starting at `start` of a file, reading a growing window (never past `end`). */
async function pickleAt(file: SharedFile, start: number, end: number, label: string): Promise<PickleResult> {
  let want = Math.min(end - start, 1 << 16);
  for (;;) {
    const data = await file.read(start, want);
    try {
      const r = unpickle(data, { label });
      return { ...r, end: start + r.end };
    } catch (err) {
      const truncated = err instanceof UnreadableError && /truncated/.test(err.reason);
      if (!truncated || want >= end - start) throw err;
      if (want >= MAX_PICKLE_BYTES) throw new UnreadableError(`a pickle in ${label} is larger than ${MAX_PICKLE_BYTES >> 20} MiB`);
      want = Math.min(end - start, want * 4);
    }
  }
}

async function parseLegacyFile(file: SharedFile, label: string): Promise<LegacyParse> {
  let want = Math.min(file.size, 1 << 20);
  for (;;) {
    const head = await file.read(0, want);
    try {
      return parseLegacy(head, label, false);
    } catch (err) {
      const truncated = err instanceof UnreadableError && /truncated/.test(err.reason);
      if (!truncated || want >= file.size) throw err;
      if (want >= MAX_PICKLE_BYTES) throw new UnreadableError(`the pickle is larger than ${MAX_PICKLE_BYTES >> 20} MiB`);
      want = Math.min(file.size, want * 4);
    }
  }
}

export async function openLegacy(path: string, _options?: OpenOptions): Promise<Checkpoint> {
  const file = await SharedFile.open(path);
  try {
    const p = await parseLegacyFile(file, path);
    const located = new Map<string, { source: ByteSource; numel: number }>();
    let pos = p.end;
    const warnings: string[] = [];
    for (const key of p.keys) {
      const header = await file.read(pos, 8);
      if (header.length < 8) { warnings.push(`file ends before storage ${key}: truncated`); break; }
      const numel = readI64(header, p.littleEndian);
      const len = numel * itemSizeOf(p, key);
      if (pos + 8 + len > file.size) { warnings.push(`storage ${key} runs past the end of the file: truncated`); break; }
      located.set(key, { source: fileRegion(file, pos + 8, len, `storage ${key} in ${path}`), numel });
      pos += 8 + len;
    }
    const missing = attachSources(p, located, p.littleEndian ? 'little' : 'big');
    await resolveQuantParams(p.quantized);
    if (missing.length && !warnings.length) warnings.push(`${missing.length} storages are missing from the file`);
    const named = nameTensors(p.root);
    const all = [...pickleWarnings(named.tensors, p.globals), ...warnings];
    if (!p.littleEndian) all.push('storages are big-endian (saved on a big-endian machine)');
    if (named.warning) all.push(named.warning);
    const meta: Record<string, string> = { 'legacy protocol': '1001', storages: String(p.keys.length) };
    if (p.sysInfo instanceof PyDict) {
      const ts = p.sysInfo.get('type_sizes');
      if (ts instanceof PyDict) meta['long size'] = String(ts.get('long') ?? '?');
    }
    return {
      path, format: 'torch-legacy', tensors: named.tensors, content: named.content, warnings: all,
      globals: p.globals, producer: 'pytorch (legacy torch.save)', meta,
      close: () => file.close(),
    };
  } catch (err) {
    await file.close();
    throw err;
  }
}

// ------------------------------------------------------------------ legacy tar (torch ≤ 0.1.x)

interface TarMember { name: string; offset: number; size: number }

export function parseTarHeaders(head: Uint8Array): boolean {
  return head.length >= 512 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar';
}

async function tarMembers(file: SharedFile): Promise<TarMember[]> {
  const out: TarMember[] = [];
  let pos = 0;
  while (pos + 512 <= file.size && out.length < 10_000) {
    const h = await file.read(pos, 512);
    if (h.every((b) => b === 0)) break;
    const name = Buffer.from(h.subarray(0, 100)).toString('latin1').replace(/\0.*$/s, '');
    const sizeText = Buffer.from(h.subarray(124, 136)).toString('latin1').replace(/\0.*$/s, '').trim();
    const size = parseInt(sizeText || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new UnreadableError('corrupt tar header');
    out.push({ name, offset: pos + 512, size });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/**
 * Legacy tar: `storages` = pickle(count) then per storage pickle((key, location, storage_type)) + int64 numel + bytes;
 * `tensors` = pickle(count) then per tensor pickle(key) + int64 storage key… (tensor metadata records);
 * `pickle` = the object with persistent ids naming tensor keys.
 */
async function openLegacyTar(path: string, file: SharedFile): Promise<Checkpoint> {
  const members = await tarMembers(file);
  const get = (n: string): TarMember | undefined => members.find((m) => m.name === n || m.name.endsWith(`/${n}`));
  const storagesM = get('storages');
  const tensorsM = get('tensors');
  const pickleM = get('pickle');
  if (!storagesM || !pickleM) throw new UnreadableError('tar archive without torch `storages`/`pickle` members');
  const globals: GlobalUse[][] = [];
  const storages = new Map<string, TorchStorage>();
  {
    // walk the member by position: small pickled records between storage bytes that stay on disk
    const end = storagesM.offset + storagesM.size;
    const c = await pickleAt(file, storagesM.offset, end, 'storages');
    let pos = c.end;
    const count = toNumber(c.value) ?? 0;
    for (let i = 0; i < count; i++) {
      const rec = await pickleAt(file, pos, end, 'storages');
      globals.push(rec.globals);
      const [key, location, type] = itemsOf(rec.value) ?? [];
      const dtype = storageDtype(type);
      pos = rec.end;
      const header = await file.read(pos, 8);
      if (header.length < 8) throw new UnreadableError('legacy tar storages member is truncated');
      const numel = readI64(header, true);
      const len = numel * (dtypeInfo(dtype).itemSize || 1);
      if (pos + 8 + len > end) throw new UnreadableError('legacy tar storage runs past its member');
      const s = new TorchStorage(String(key), dtype, typeof location === 'string' ? location : 'cpu', len);
      s.source = fileRegion(file, pos + 8, len, `storage ${String(key)} in ${path}`);
      storages.set(String(key), s);
      pos += 8 + len;
    }
    try {
      const views = await pickleAt(file, pos, end, 'storages');
      for (const v of itemsOf(views.value) ?? []) {
        const [target, rootKey, offset, numel] = itemsOf(v) ?? [];
        const root = storages.get(String(rootKey));
        if (!root || !root.source) continue;
        const item = dtypeInfo(root.dtype).itemSize || 1;
        const len = (toNumber(numel) ?? 0) * item;
        const view = new TorchStorage(`${String(rootKey)}/${String(target)}`, root.dtype, root.device, len);
        view.source = subSource(root.source, (toNumber(offset) ?? 0) * item, len);
        storages.set(String(target), view);
      }
    } catch { /* no views record */ }
  }
  const tensors = new Map<string, TorchTensor>();
  if (tensorsM) {
    if (tensorsM.size > MAX_PICKLE_BYTES) throw new UnreadableError('legacy tar tensors member is too large');
    const data = await file.read(tensorsM.offset, tensorsM.size);
    const c = unpickle(data, { label: 'tensors' });
    let pos = c.end;
    const count = toNumber(c.value) ?? 0;
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < count && pos < data.length; i++) {
      const rec = unpickle(data, { start: pos, label: 'tensors' });
      const [key, storageId] = itemsOf(rec.value) ?? [];
      pos = rec.end;
      if (pos + 8 > data.length) break;
      const nd = dv.getInt32(pos, true);
      pos += 8;
      if (nd < 0 || nd > 64 || pos + 16 * nd + 8 > data.length) throw new UnreadableError('corrupt tensor record in legacy tar');
      const shape: number[] = []; const stride: number[] = [];
      for (let d = 0; d < nd; d++) shape.push(Number(dv.getBigInt64(pos + 8 * d, true)));
      for (let d = 0; d < nd; d++) stride.push(Number(dv.getBigInt64(pos + 8 * (nd + d), true)));
      const offset = Number(dv.getBigInt64(pos + 16 * nd, true));
      pos += 16 * nd + 8;
      const s = storages.get(String(storageId)) ?? null;
      tensors.set(String(key), new TorchTensor(s?.dtype ?? 'unknown', shape, nd ? stride : contiguousStrides(shape), offset, s, s?.device ?? 'cpu'));
    }
  }
  if (pickleM.size > MAX_PICKLE_BYTES) throw new UnreadableError('legacy tar pickle member is too large');
  const pdata = await file.read(pickleM.offset, pickleM.size);
  const main = unpickle(pdata, {
    label: 'pickle',
    reconstructors: torchReconstructors(),
    persistentLoad: (pid) => {
      const tuple = itemsOf(pid);
      if (tuple) return tuple[0] ?? null; // a container class with its source
      const k = String(pid).trim();
      return tensors.get(k) ?? storages.get(k) ?? new PyObject('missing persistent object', [k]);
    },
  });
  globals.push(main.globals);
  const named = nameTensors(main.value);
  const g = mergeGlobals(globals);
  return {
    path, format: 'torch-legacy', tensors: named.tensors, content: named.content,
    warnings: [...pickleWarnings(named.tensors, g), ...(named.warning ? [named.warning] : [])], globals: g, producer: 'pytorch (legacy tar torch.save)',
    meta: { layout: 'tar (storages, tensors, pickle)' }, close: () => file.close(),
  };
}

function headIsLegacyMagic(head: Uint8Array): boolean {
  try {
    return isMagic(unpickle(head, { limits: { maxOps: 100 } }).value);
  } catch {
    return false;
  }
}

export const legacyReader: FormatReader = {
  format: 'torch-legacy',
  detect(head) {
    if (headIsLegacyMagic(head)) return true;
    return parseTarHeaders(head) && /(^|\/)(sys_info|pickle|storages|tensors)\0/.test(Buffer.from(head.subarray(0, 100)).toString('latin1') + '\0');
  },
  async open(path) {
    const file = await SharedFile.open(path);
    const head = await file.read(0, 1024);
    if (parseTarHeaders(head)) {
      try {
        return await openLegacyTar(path, file);
      } catch (err) {
        await file.close();
        throw err;
      }
    }
    await file.close();
    return openLegacy(path);
  },
};
