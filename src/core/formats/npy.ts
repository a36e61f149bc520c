/**
 * `.npy` files (numpy format 1.0 / 2.0 / 3.0): the header is parsed, the array's bytes stay in the file
 * until asked. The array is one tensor named `""`. Fortran-order arrays get column-major strides;
 * big-endian arrays keep their byte order (decoding swaps). Object arrays (`|O`, pickled Python objects)
 * and structured / string dtypes are listed without values.
 *
 *   npyReader: FormatReader
 *   parseNpyHeader(bytes)            header facts + where the data starts
 *   npyTensor(header, source, name)  the TensorInfo for an array whose data is `source`
 */
import type { Checkpoint, FormatReader, GlobalUse, StorageInfo, TensorInfo, ByteSource } from '../model';
import { errorMessage } from '../errors';
import { UnreadableError } from '../model';
import { parseNumpyDescr } from '../dtype';
import { SharedFile, fileRegion } from '../byteSource';
import { contiguousStrides } from '../layout';
import { stridedTensor } from '../tensorInfo';
import { parsePyLiteral } from './pyLiteral';
import type { JsonValue } from '../model';
import { NumpyArray, pyRepr, torchReconstructors, unpickle } from '../pickle';
import { numelOf } from '../layout';

/** Object arrays larger than this are not unpickled for display. */
const MAX_OBJECT_PICKLE = 16 << 20;
const MAX_OBJECTS_SHOWN = 100;

/**
 * The elements of an object array (a pickled ndarray after the header), unpickled by the safe machine for
 * display: `{"$objects": [repr, …], "count": n}`; a one-line note when they cannot be read.
 */
export async function objectArrayContent(source: ByteSource, label: string): Promise<{ content: JsonValue; warnings: string[]; globals: GlobalUse[] }> {
  // np.load runs this pickle when allow_pickle=True, and refuses the array otherwise: say so, with what it calls
  const risk = (globals: GlobalUse[]): string => {
    const unsafe = globals.filter((g) => g.unsafe).map((g) => g.name);
    const calls = unsafe.length ? `, which would call ${unsafe.join(', ')}` : '';
    return `${label} is a pickled object array: np.load refuses it unless allow_pickle=True, which runs its pickle${calls} (nothing was run here)`;
  };
  if (source.size > MAX_OBJECT_PICKLE) return { content: null, warnings: [risk([]), `${label}: ${source.size}-byte object pickle not unpickled for display`], globals: [] };
  let globals: GlobalUse[] = [];
  try {
    const bytes = await source.read(0, source.size);
    const r = unpickle(bytes, { reconstructors: torchReconstructors(), label });
    globals = r.globals;
    const value = r.value;
    const objects = value instanceof NumpyArray ? value.objects : Array.isArray(value) ? value : undefined;
    if (!objects) return { content: null, warnings: [risk(globals), `${label}: the object pickle holds no object array`], globals };
    const shown = objects.slice(0, MAX_OBJECTS_SHOWN).map((o) => pyRepr(o, 1));
    return { content: { $objects: shown, count: objects.length }, warnings: [risk(globals)], globals };
  } catch (err) {
    return { content: null, warnings: [risk(globals), `${label}: its objects could not be unpickled (${errorMessage(err).split('\n')[0]})`], globals };
  }
}

/** `into` plus `more`, counts of the same global added. */
export function mergeGlobals(into: GlobalUse[], more: readonly GlobalUse[]): GlobalUse[] {
  const byName = new Map(into.map((g) => [g.name, { ...g }]));
  for (const g of more) {
    const had = byName.get(g.name);
    if (had) had.count += g.count; else byName.set(g.name, { ...g });
  }
  return [...byName.values()];
}

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function hasNpyMagic(head: Uint8Array): boolean {
  return head.length >= 6 && NPY_MAGIC.every((b, i) => head[i] === b);
}

export interface NpyHeader {
  version: string;
  descr: string;
  /** numpy's dtype name for messages (`float32`, `<U10`, `[('a', '<i4'), …]`) */
  descrText: string;
  fortranOrder: boolean;
  shape: number[];
  /** byte offset of the array data */
  dataOffset: number;
  /** bytes per element (0 when unknown) */
  itemSize: number;
}

/** The header length field needs the first 12 bytes; the header itself at most this many. */
export const NPY_MAX_HEADER = 1 << 20;

/** Bytes needed to parse the header (from the first 12 bytes). */
export function npyHeaderLength(head: Uint8Array): number {
  if (!hasNpyMagic(head)) throw new UnreadableError('not a .npy array (no \\x93NUMPY magic)');
  if (head.length < 10) throw new UnreadableError('truncated .npy header');
  const major = head[6];
  if (major === 1) return 10 + (head[8] | (head[9] << 8));
  if (major === 2 || major === 3) {
    if (head.length < 12) throw new UnreadableError('truncated .npy header');
    const len = (head[8] | (head[9] << 8) | (head[10] << 16)) + head[11] * 16777216;
    if (len > NPY_MAX_HEADER) throw new UnreadableError(`.npy header claims ${len} bytes`);
    return 12 + len;
  }
  throw new UnreadableError(`unsupported .npy format version ${major}.${head[7]}`);
}

function itemSizeOfDescr(descr: string): number {
  const m = /^[<>|=]?([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) return 0;
  const n = m[2] ? Number(m[2]) : 0;
  if (m[1] === 'U') return 4 * n;
  if (m[1] === 'O') return 8;
  return n;
}

export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const total = npyHeaderLength(bytes);
  if (bytes.length < total) throw new UnreadableError(`truncated .npy header (${bytes.length} of ${total} bytes)`);
  const start = bytes[6] === 1 ? 10 : 12;
  const text = Buffer.from(bytes.subarray(start, total)).toString(bytes[6] === 3 ? 'utf8' : 'latin1');
  const lit = parsePyLiteral(text.trim());
  if (!lit || typeof lit !== 'object' || Array.isArray(lit)) throw new UnreadableError('.npy header is not a dict');
  const descrLit = lit.descr;
  const shapeLit = lit.shape;
  if (!Array.isArray(shapeLit) || !shapeLit.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new UnreadableError('.npy header has no valid shape');
  }
  const shape = shapeLit as number[];
  let descr: string;
  let descrText: string;
  if (typeof descrLit === 'string') {
    descr = descrLit;
    descrText = descrLit;
  } else if (Array.isArray(descrLit)) {
    descr = 'structured';
    descrText = JSON.stringify(descrLit);
  } else {
    throw new UnreadableError('.npy header has no descr');
  }
  return {
    version: `${bytes[6]}.${bytes[7]}`,
    descr,
    descrText,
    fortranOrder: lit.fortran_order === true,
    shape,
    dataOffset: total,
    itemSize: typeof descrLit === 'string' ? itemSizeOfDescr(descrLit) : 0,
  };
}

/** Column-major strides (`fortran_order=True`). */
export function fortranStrides(shape: readonly number[]): number[] {
  const out: number[] = [];
  let acc = 1;
  for (const d of shape) {
    out.push(acc);
    acc *= Math.max(1, d);
  }
  return out;
}

/** The tensor for one array. `source` holds the data bytes (after the header); null when absent. */
export function npyTensor(header: NpyHeader, source: ByteSource | null, name: string, storageKey: string): TensorInfo {
  const nd = parseNumpyDescr(header.descr);
  const numel = numelOf(header.shape);
  const bytes = numel * header.itemSize;
  if (!Number.isSafeInteger(bytes)) throw new UnreadableError(`array ${name || '(root)'} has an impossible size`);
  const stride = header.fortranOrder ? fortranStrides(header.shape) : contiguousStrides(header.shape);
  const isObject = nd.dtype === 'object';
  const known = nd.dtype !== 'unknown' && !isObject;
  if (known && source && source.size < bytes) {
    throw new UnreadableError(`array ${name || '(root)'} is truncated: needs ${bytes} bytes, ${source.size} present`);
  }
  const storage: StorageInfo = {
    key: storageKey,
    dtype: nd.dtype,
    bytes: known ? bytes : source?.size ?? 0,
    device: 'cpu',
    byteOrder: nd.byteOrder === 'big' ? 'big' : 'little',
    source: known ? source : null,
  };
  return stridedTensor(name, header.shape, storage, { stride }, {
    numpy: true,
    numpyDtype: nd.dtype === 'unknown' ? header.descrText : nd.numpyName,
  });
}

export function npyWarnings(header: NpyHeader, name: string): string[] {
  const who = name ? `array ${name}` : 'the array';
  if (header.descr === 'structured') return [`${who} has a structured dtype ${header.descrText}; its values are not shown`];
  const nd = parseNumpyDescr(header.descr);
  if (nd.dtype === 'object') return [`${who} is an object array (pickled Python objects, unpickled safely for the content tree); it has no tensor values`];
  if (nd.dtype === 'unknown') return [`${who} has numpy dtype ${header.descr}, which has no tensor equivalent; its values are not shown`];
  return [];
}

export const npyReader: FormatReader = {
  format: 'npy',
  detect(head) {
    return hasNpyMagic(head);
  },
  async open(path): Promise<Checkpoint> {
    const file = await SharedFile.open(path);
    try {
      const first = await file.read(0, 12);
      const headerLen = npyHeaderLength(first);
      const header = parseNpyHeader(await file.read(0, headerLen));
      const source = fileRegion(file, header.dataOffset, Math.max(0, file.size - header.dataOffset), `array data in ${path}`);
      const tensor = npyTensor(header, source, '', 'array');
      const warnings = npyWarnings(header, '');
      let content: JsonValue = { $tensor: '' };
      let globals: GlobalUse[] = [];
      if (tensor.dtype === 'object') {
        const objs = await objectArrayContent(source, 'the object array');
        if (objs.content) content = { $tensor: '', objects: objs.content };
        warnings.push(...objs.warnings);
        globals = objs.globals;
      }
      return {
        path,
        format: 'npy',
        tensors: [tensor],
        content,
        warnings,
        globals,
        producer: `numpy ${header.version}`,
        meta: {
          'npy version': header.version,
          descr: header.descrText,
          'fortran order': String(header.fortranOrder),
          byteorder: header.descr.startsWith('>') ? 'big' : 'little',
        },
        close: () => file.close(),
      };
    } catch (err) {
      await file.close();
      throw err;
    }
  },
};
