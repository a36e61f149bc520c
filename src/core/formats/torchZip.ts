/**
 * `torch.save` zip archives (PyTorch ≥ 1.6): `<top>/data.pkl` + `<top>/data/<key>` storages, whatever the
 * top folder is called; stored or deflated entries; ZIP64; `<top>/byteorder`; `.data/serialization_id`.
 * Only the central directory and data.pkl are read at open; each storage gets a lazy ByteSource.
 *
 * Also exports the pieces TorchScript / .pt2 readers share:
 *   zipLayout(zip): { prefix, has(name), entry(name) }   the archive's top folder
 *   loadZipPickle(zip, pklName, storageDir, byteOrder, label): Promise<PickleResult>
 *   zipMeta(zip, prefix): Record<string,string>
 */
import type { ByteSource, Checkpoint, FormatReader, OpenOptions } from '../model';
import { UnreadableError } from '../model';
import { ZipArchive, looksLikeZip, readZipFile, type ZipEntry } from '../zip';
import { UNKNOWN, pickleEnd, unpickle, type PickleResult } from '../pickle/machine';
import { TorchStorage, TorchTensor, resolveQuantParams, storageDtype, torchReconstructors } from '../pickle/torch';
import { dtypeInfo, type DTypeName } from '../dtype';
import { itemsOf, toNumber, type PyValue } from '../pickle/values';
import { nameTensors, pickleWarnings, unlistedStorages } from '../naming';
import { loadStorageFromBytes } from './torchLegacy';
import { NameIndex } from '../zipNames';

/** The top folder of a torch zip archive (`archive/`, `model/`, …), found from its data.pkl. */
export function zipPrefix(names: readonly string[], marker = 'data.pkl'): string | undefined {
  return NameIndex.of(names).topPrefix(marker);
}

export function readText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').trim();
}

export async function zipText(zip: ZipArchive, name: string, max = 4096): Promise<string | undefined> {
  const e = zip.get(name);
  if (!e || e.size > max) return undefined;
  return readText(await zip.readEntry(e));
}

export async function zipMeta(zip: ZipArchive, prefix: string): Promise<Record<string, string>> {
  const meta: Record<string, string> = {};
  if (prefix) meta['archive prefix'] = prefix.replace(/\/$/, '');
  const pairs: Array<[string, string]> = [
    ['byteorder', `${prefix}byteorder`], ['format version', `${prefix}.format_version`],
    ['storage alignment', `${prefix}.storage_alignment`], ['version', `${prefix}version`],
    ['data version', `${prefix}.data/version`], ['serialization id', `${prefix}.data/serialization_id`],
  ];
  // read side by side: each is a small positioned read
  const texts = await Promise.all(pairs.map(([, name]) => zipText(zip, name)));
  pairs.forEach(([k], i) => {
    const t = texts[i];
    if (t !== undefined) meta[k] = t;
  });
  meta.entries = String(zip.entries.length);
  return meta;
}

/** pickles up to this size are read whole, in one read (every real data.pkl but the largest) */
const PICKLE_ONE_READ = 16 << 20;

/**
 * A zip entry holding a pickle, read only up to its STOP: bytes after it (a data.pkl padded with 500 MiB
 * of zeros) are never inflated. Read in growing steps, each scanned from the start for STOP, so the work
 * stays linear in the pickle's length.
 */
export async function readPickleEntry(zip: ZipArchive, entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
  if (entry.size <= PICKLE_ONE_READ) return zip.readEntry(entry, maxBytes);
  const source = zip.source(entry);
  let buf = new Uint8Array(PICKLE_ONE_READ);
  let len = 0;
  let scanAt = PICKLE_ONE_READ;
  const iter = source.chunks ? source.chunks(0, source.size, 1 << 20) : chunksOf(source);
  for await (const chunk of iter) {
    if (len + chunk.length > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, len + chunk.length));
      grown.set(buf.subarray(0, len));
      buf = grown;
    }
    buf.set(chunk, len);
    len += chunk.length;
    if (len >= scanAt || len >= source.size) {
      const end = pickleEnd(buf.subarray(0, len));
      if (end >= 0) return buf.subarray(0, end);
      if (end === UNKNOWN) break; // an opcode the scan does not follow: read it all, as before
      scanAt = len * 2;
    }
    if (len > maxBytes) throw new UnreadableError(`${entry.name} is a pickle of more than ${maxBytes} bytes`);
  }
  return zip.readEntry(entry, maxBytes);
}

async function* chunksOf(source: ByteSource): AsyncIterable<Uint8Array> {
  for (let off = 0; off < source.size; off += 1 << 20) yield await source.read(off, Math.min(1 << 20, source.size - off));
}

/**
 * Unpickle `pklName` of a zip whose storages live under `storageDir` (`archive/data/`), wiring
 * persistent ids (`('storage', type, key, location, numel)`) to lazy entry sources.
 */
export async function loadZipPickle(
  zip: ZipArchive, pklName: string, storageDir: string, byteOrder: 'little' | 'big', label: string,
): Promise<{ result: PickleResult; missing: string[]; storages: TorchStorage[] }> {
  const entry = zip.get(pklName);
  if (!entry) throw new UnreadableError(`${pklName} missing`);
  const data = await readPickleEntry(zip, entry, 512 << 20);
  const storages = new Map<string, TorchStorage>();
  const missing: string[] = [];
  const keyPrefix = storageDir.slice(storageDir.lastIndexOf('/', storageDir.length - 2) + 1);
  // storage types repeat (one global per dtype): resolve each once
  const dtypes = new Map<PyValue, DTypeName>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = itemsOf(pid);
    if (!t || t[0] !== 'storage') throw new UnreadableError(`unexpected persistent id in ${pklName}`);
    const type = t[1]; const key = t[2]; const location = t[3]; const numel = t[4];
    const keyStr = typeof key === 'string' ? key : String(key);
    let s = storages.get(keyStr);
    if (!s) {
      let dtype = dtypes.get(type);
      if (dtype === undefined) { dtype = storageDtype(type); dtypes.set(type, dtype); }
      const e: ZipEntry | undefined = zip.get(storageDir + keyStr);
      const bytes = e ? e.size : (toNumber(numel) ?? 0) * (dtypeInfo(dtype).itemSize || 1);
      s = new TorchStorage(keyPrefix + keyStr, dtype, typeof location === 'string' ? location : 'cpu', bytes);
      s.byteOrder = byteOrder;
      if (e) s.source = zip.source(e);
      else missing.push(keyStr);
      storages.set(keyStr, s);
    }
    return s;
  };
  const quantized: TorchTensor[] = [];
  const result = unpickle(data, {
    reconstructors: torchReconstructors({ loadFromBytes: loadStorageFromBytes, quantized }),
    persistentLoad,
    label,
  });
  await resolveQuantParams(quantized);
  // per-channel scales and zero points belong to their quantized tensor (read into its `quant`)
  const qparams = new Set<TorchStorage>();
  for (const t of quantized) {
    const s1 = t.quantTensors?.scales?.storage; const s2 = t.quantTensors?.zeroPoints?.storage;
    if (s1) qparams.add(s1);
    if (s2) qparams.add(s2);
  }
  return { result, missing, storages: [...storages.values()].filter((s) => !qparams.has(s)) };
}

/** A torch.save archive already opened as a zip (the caller's `close` is kept). */
export async function readTorchZip(zip: ZipArchive, path: string): Promise<Checkpoint> {
  const names = zip.names;
  const prefix = zipPrefix(names);
  if (prefix === undefined) throw new UnreadableError('zip archive without data.pkl: not a torch.save file');
  const meta = await zipMeta(zip, prefix);
  const byteOrder = meta.byteorder === 'big' ? 'big' : 'little';
  const { result, missing, storages } = await loadZipPickle(zip, `${prefix}data.pkl`, `${prefix}data/`, byteOrder, `${prefix}data.pkl`);
  const named = nameTensors(result.value);
  const warnings = pickleWarnings(named.tensors, result.globals);
  const unlisted = unlistedStorages(storages, named.tensors);
  if (unlisted) warnings.push(unlisted);
  if (missing.length) warnings.push(`${missing.length} storage entr${missing.length > 1 ? 'ies are' : 'y is'} missing from the archive (${missing.slice(0, 5).join(', ')})`);
  if (byteOrder === 'big') warnings.push('storages are big-endian (saved on a big-endian machine)');
  if (named.warning) warnings.push(named.warning);
  return {
    path,
    format: 'torch-zip',
    tensors: named.tensors,
    content: named.content,
    warnings,
    globals: result.globals,
    producer: 'pytorch (torch.save, zip)',
    meta,
    close: () => zip.close(),
  };
}

export async function openTorchZip(path: string, options?: OpenOptions): Promise<Checkpoint> {
  return readZipFile(path, (zip) => readTorchZip(zip, path), options);
}

export const torchZipReader: FormatReader = {
  format: 'torch-zip',
  detect(head, _path, entries) {
    if (!looksLikeZip(head) || entries.length === 0) return false;
    const names = NameIndex.of(entries);
    const prefix = names.topPrefix('data.pkl');
    if (prefix === undefined) return false;
    // TorchScript and .pt2 archives also hold a data.pkl: leave them to their readers
    if (names.has(`${prefix}constants.pkl`) || names.hasPrefix(`${prefix}code/`)) return false;
    if (names.has(`${prefix}archive_format`) || names.firstMatch(/(?:[^\n]*\/)?(?:serialized_exported_program\.json|models\/[^/\n]+\.json)/)) return false;
    return true;
  },
  open: openTorchZip,
};
