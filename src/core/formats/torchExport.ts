/**
 * `torch.export.save` archives (`.pt2`).
 *   New layout (torch ≥ 2.6, `archive_format` = `pt2`): `<top>/data/weights/model_weights_config.json` maps
 *   fully qualified names to `weight_N` entries with tensor_meta (dtype code, sizes, strides, offset,
 *   device); raw bytes at `<top>/data/weights/weight_N`, or, when `use_pickle` (tensor subclasses), a
 *   torch.save archive of the tensor there, read as a nested archive.
 *   Old layout (torch 2.1–2.5): `serialized_state_dict.(pt|json)` holds a nested torch.save archive.
 * Lifted constants are counted in `meta`, not listed (as the program's state_dict does).
 */
import type { Checkpoint, FormatReader, GlobalUse, OpenOptions, StorageInfo, TensorInfo } from '../model';
import { mergeGlobals } from './npy';
import { UnreadableError } from '../model';
import { ZipArchive, looksLikeZip, readZipFile, type ZipEntry } from '../zip';
import { NameIndex } from '../zipNames';
import { isContiguous, memoryFormatOf } from '../layout';
import type { DTypeName } from '../dtype';
import { readTorchZip, zipMeta } from './torchZip';
import { errorMessage } from '../errors';

/** torch/_export/serde/schema.py ScalarType */
const SCALAR_TYPES: Record<number, DTypeName> = {
  1: 'uint8', 2: 'int8', 3: 'int16', 4: 'int32', 5: 'int64', 6: 'float16', 7: 'float32', 8: 'float64',
  9: 'complex32', 10: 'complex64', 11: 'complex128', 12: 'bool', 13: 'bfloat16', 28: 'uint16',
  29: 'float8_e4m3fn', 30: 'float8_e5m2', 31: 'float8_e4m3fnuz', 32: 'float8_e5m2fnuz',
};

interface SymInt { as_int?: number }
interface TensorMeta {
  dtype?: number;
  sizes?: SymInt[];
  strides?: SymInt[];
  storage_offset?: SymInt;
  requires_grad?: boolean;
  device?: { type?: string; index?: number | null };
  layout?: number;
}
interface WeightEntry { path_name?: string; is_param?: boolean; use_pickle?: boolean; tensor_meta?: TensorMeta }

function ints(v: SymInt[] | undefined): number[] {
  return (v ?? []).map((x) => (typeof x?.as_int === 'number' ? x.as_int : -1));
}

function newLayoutPrefix(names: readonly string[]): string | undefined {
  const index = NameIndex.of(names);
  const format = index.firstMatch(/((?:[^\n]*\/)?)archive_format/);
  if (format) return format[1];
  const weights = index.firstMatch(/([^\n]*?)data\/weights\/model_weights_config\.json[^\n]*/);
  return weights ? weights[1] : undefined;
}

async function readJson(zip: ZipArchive, e: ZipEntry, what: string): Promise<unknown> {
  const text = Buffer.from(await zip.readEntry(e, 256 << 20)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new UnreadableError(`${what} is not valid JSON`);
  }
}

/**
 * torch.export stores weight files uncompressed; a deflated one is inflated into memory to be read as an
 * archive, up to this size (a 1 MB file must not make us hold a 1,000 MiB member).
 */
const MAX_INFLATED_WEIGHT = 64 << 20;

/** Globals and risk warnings of the pickles nested in `use_pickle` weight files. */
interface PickleFindings {
  globals: GlobalUse[];
  warnings: Set<string>;
}

/**
 * The tensor a `use_pickle` weight file holds (a torch.save archive of one tensor, nested in this one), or
 * why it cannot be read. The nested archive stays open until the checkpoint closes (`inners`).
 */
async function pickledTensor(zip: ZipArchive, entry: ZipEntry, path: string, inners: ZipArchive[], found: PickleFindings): Promise<TensorInfo | string> {
  let inner: ZipArchive;
  try {
    if (entry.method !== 0 && entry.size > MAX_INFLATED_WEIGHT) return `a deflated archive of ${entry.size} bytes, more than the ${MAX_INFLATED_WEIGHT} inflated for it`;
    inner = await ZipArchive.fromFile(await zip.entryFile(entry, MAX_INFLATED_WEIGHT));
  } catch {
    return 'not a torch.save archive';
  }
  inners.push(inner);
  try {
    const ck = await readTorchZip(inner, path);
    // its pickle runs under torch.load: report what it calls, as for any other pickle
    found.globals = mergeGlobals(found.globals, ck.globals);
    for (const w of ck.warnings) if (/would run code|weights_only/.test(w)) found.warnings.add(`${entry.name}: ${w}`);
    const t = ck.tensors.find((x) => x.name === '') ?? (ck.tensors.length === 1 ? ck.tensors[0] : undefined);
    if (!t) return `it holds ${ck.tensors.length} tensors`;
    if (!t.storage) return 'a tensor subclass without a storage of its own';
    return t;
  } catch (err) {
    return errorMessage(err).split('\n')[0];
  }
}

async function readNewLayout(zip: ZipArchive, path: string, prefix: string): Promise<Checkpoint> {
  const inners: ZipArchive[] = [];
  try {
    return await readNewLayoutInto(zip, path, prefix, inners);
  } catch (err) {
    for (const inner of inners) await inner.close();
    throw err;
  }
}

async function readNewLayoutInto(zip: ZipArchive, path: string, prefix: string, inners: ZipArchive[]): Promise<Checkpoint> {
  const meta = await zipMeta(zip, prefix);
  meta.layout = 'pt2 (archive_format)';
  const byteOrder = meta.byteorder === 'big' ? 'big' : 'little';
  const warnings: string[] = [];
  const tensors: TensorInfo[] = [];
  const found: PickleFindings = { globals: [], warnings: new Set() };
  const pickledOnce = new Map<ZipEntry, Promise<TensorInfo | string>>();
  const models = zip.entries.filter((e) => e.name.startsWith(`${prefix}models/`) && e.name.endsWith('.json')).map((e) => e.name.slice(prefix.length + 7, -5));
  if (models.length) meta.models = models.join(', ');
  const configs = zip.entries.filter((e) => e.name.startsWith(`${prefix}data/weights/`) && e.name.endsWith('_weights_config.json'));
  for (const cfgEntry of configs) {
    const model = cfgEntry.name.slice(`${prefix}data/weights/`.length, -'_weights_config.json'.length);
    const cfg = await readJson(zip, cfgEntry, cfgEntry.name) as { config?: Record<string, WeightEntry> };
    const namePrefix = configs.length > 1 && model !== 'model' ? `${model}.` : '';
    for (const [fqn, w] of Object.entries(cfg.config ?? {})) {
      const tm = w.tensor_meta ?? {};
      const dtype = SCALAR_TYPES[tm.dtype ?? 0] ?? 'unknown';
      const shape = ints(tm.sizes);
      const stride = ints(tm.strides);
      const dev = tm.device?.type ?? 'cpu';
      const device = tm.device?.index === null || tm.device?.index === undefined ? dev : `${dev}:${tm.device.index}`;
      const entry = w.path_name ? zip.get(`${prefix}data/weights/${w.path_name}`) : undefined;
      if (!entry) warnings.push(`weight file for ${fqn} is missing`);
      const layout = tm.layout === undefined || tm.layout === 7 ? 'strided' : 'sparse_coo';
      const info: TensorInfo = {
        name: namePrefix + fqn, dtype, shape, stride, storageOffset: tm.storage_offset?.as_int ?? 0,
        contiguous: isContiguous(shape, stride), memoryFormat: memoryFormatOf(shape, stride),
        layout, device, requiresGrad: false, storage: null, isParameter: w.is_param === true,
      };
      if (entry && w.use_pickle) {
        // a tensor subclass, saved with torch.save into the weight file: the bytes are its storage's
        // several weights may name one file: it is read (and inflated) once
        let once = pickledOnce.get(entry);
        if (!once) { once = pickledTensor(zip, entry, path, inners, found); pickledOnce.set(entry, once); }
        const pickled = await once;
        if (typeof pickled === 'string') {
          warnings.push(`${fqn} is stored as a pickled tensor whose bytes cannot be read (${pickled})`);
        } else {
          if (pickled.shape.join() !== shape.join()) warnings.push(`${fqn}: the pickled tensor is [${pickled.shape.join(', ')}], its metadata says [${shape.join(', ')}]`);
          Object.assign(info, {
            dtype: pickled.dtype, shape: pickled.shape, stride: pickled.stride, storageOffset: pickled.storageOffset,
            contiguous: pickled.contiguous, memoryFormat: pickled.memoryFormat,
            // keys are per nested archive (`data/0` in each): named after the weight file, as raw weights are
            storage: pickled.storage && { ...pickled.storage, key: `weights/${w.path_name}/${pickled.storage.key}` },
          });
        }
      } else if (entry) {
        info.storage = { key: `weights/${w.path_name}`, dtype, bytes: entry.size, device, byteOrder, source: zip.source(entry) };
      }
      tensors.push(info);
    }
  }
  const constCfg = zip.entries.find((e) => e.name.startsWith(`${prefix}data/constants/`) && e.name.endsWith('_constants_config.json'));
  if (constCfg) {
    const c = await readJson(zip, constCfg, constCfg.name) as { config?: Record<string, unknown> };
    meta['lifted constants'] = String(Object.keys(c.config ?? {}).length);
  }
  return {
    path, format: 'torch-export', tensors, content: { models, meta }, warnings: [...warnings, ...found.warnings], globals: found.globals,
    producer: 'pytorch (torch.export.save)', meta,
    close: async () => {
      for (const inner of inners) await inner.close();
      await zip.close();
    },
  };
}

async function readOldLayout(zip: ZipArchive, path: string): Promise<Checkpoint> {
  const sd = zip.entries.find((e) => /(^|\/)serialized_state_dict\.(pt|json)$/.test(e.name));
  if (!sd) throw new UnreadableError('torch.export archive without a state dict');
  const inner = await ZipArchive.fromFile(await zip.entryFile(sd)).catch(() => {
    throw new UnreadableError(`${sd.name} is not a torch.save archive`);
  });
  try {
    const ck = await readTorchZip(inner, path);
    const version = zip.entries.find((e) => /(^|\/)version$/.test(e.name));
    ck.meta.layout = 'pt2 (serialized_exported_program.json, torch 2.1–2.5)';
    if (version && version.size < 64) ck.meta['export version'] = Buffer.from(await zip.readEntry(version)).toString('utf8').trim();
    return {
      ...ck, format: 'torch-export', producer: 'pytorch (torch.export.save, old layout)',
      close: async () => { await inner.close(); await zip.close(); },
    };
  } catch (err) {
    await inner.close();
    throw err;
  }
}

export async function openTorchExport(path: string, options?: OpenOptions): Promise<Checkpoint> {
  return readZipFile(path, (zip) => {
    const prefix = newLayoutPrefix(zip.names);
    return prefix !== undefined ? readNewLayout(zip, path, prefix) : readOldLayout(zip, path);
  }, options);
}

export const torchExportReader: FormatReader = {
  format: 'torch-export',
  detect(head, _path, entries) {
    if (!looksLikeZip(head) || entries.length === 0) return false;
    return newLayoutPrefix(entries) !== undefined || NameIndex.of(entries).firstMatch(/(?:[^\n]*\/)?serialized_exported_program\.json/) !== null;
  },
  open: openTorchExport,
};
