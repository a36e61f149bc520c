/**
 * Reconstructors for the Python standard library globals a checkpoint commonly holds, and for numpy
 * arrays / dtypes / scalars. None of them runs anything: they build inert values.
 *
 * Public API
 *   builtinReconstructors: Record<string, Reconstructor>   collections.*, builtins.*, _codecs.encode, copyreg…
 *   numpyReconstructors: Record<string, Reconstructor>     numpy `_reconstruct`, `dtype`, `scalar`, `frombuffer`
 *   class NumpyArray (PyExtension)   descr, shape, fortranOrder, data (PyBytes | object items)
 *   class NumpyDTypeValue (PyExtension)
 *   pyStringToBytes(s)               a Python 2 str decoded by the machine → its bytes
 */
import { parseNumpyDescr, type NumpyDType } from '../dtype';
import type { Reconstructor } from './machine';
import {
  PyBytes, PyDict, PyGlobal, PyObject, PySet, PyTuple, itemsOf, toNumber, type PyExtension, type PyValue,
} from './values';

export function pyStringToBytes(s: string): Uint8Array {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return Buffer.from(s, 'utf8');
  }
  return Buffer.from(s, 'latin1');
}

function dictFrom(className: string | undefined, init: PyValue | undefined): PyDict {
  const d = new PyDict(className);
  if (init === undefined || init === null) return d; // `OrderedDict()`: one per tensor in a torch.save pickle
  if (init instanceof PyDict) {
    for (let i = 0; i < init.keys.length; i++) d.set(init.keys[i], init.values[i]);
  } else {
    const pairs = itemsOf(init) ?? [];
    for (let i = 0; i < pairs.length; i++) {
      const kv = itemsOf(pairs[i]);
      if (kv && kv.length === 2) d.set(kv[0], kv[1]);
    }
  }
  return d;
}

const encode: Reconstructor = (args) => {
  const [s, enc] = args;
  if (typeof s !== 'string') return s instanceof PyBytes ? s : new PyBytes(new Uint8Array(0));
  const e = typeof enc === 'string' ? enc.toLowerCase().replace(/[-_]/g, '') : 'utf8';
  return new PyBytes(e === 'latin1' || e === 'iso88591' ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8'));
};

const bytearray: Reconstructor = (args) => {
  const [src, enc] = args;
  if (src instanceof PyBytes) return new PyBytes(src.data, true);
  if (typeof src === 'string') return new PyBytes((encode([src, enc ?? 'latin1'], undefined as never) as PyBytes).data, true);
  const items = itemsOf(src);
  if (items) return new PyBytes(Uint8Array.from(items.map((x) => (toNumber(x) ?? 0) & 0xff)), true);
  return new PyBytes(new Uint8Array(0), true);
};

const setOf = (frozen: boolean): Reconstructor => (args) => {
  const src = args[0];
  if (src instanceof PySet) return new PySet([...src.items], frozen);
  return new PySet([...(itemsOf(src) ?? [])], frozen);
};

/** copyreg._reconstructor(cls, base, state): protocol 0/1 object creation */
const reconstructor: Reconstructor = (args) => {
  const [cls, base, state] = args;
  const name = cls instanceof PyGlobal ? cls.fullName : 'object';
  if (base instanceof PyGlobal && (base.name === 'dict' || base.name === 'OrderedDict')) return dictFrom(name, state ?? undefined);
  const obj = new PyObject(name, [], 'newobj');
  return obj;
};

const pyDict = (className?: string): Reconstructor => (args, _ctx, kwargs) => {
  const d = dictFrom(className, className === 'collections.defaultdict' ? args[1] : args[0]);
  if (kwargs) for (const [k, v] of kwargs.entries()) d.set(k, v);
  return d;
};

export const builtinReconstructors: Record<string, Reconstructor> = {};
for (const mod of ['builtins', '__builtin__']) {
  builtinReconstructors[`${mod}.set`] = setOf(false);
  builtinReconstructors[`${mod}.frozenset`] = setOf(true);
  builtinReconstructors[`${mod}.bytearray`] = bytearray;
  builtinReconstructors[`${mod}.dict`] = pyDict();
  builtinReconstructors[`${mod}.list`] = (args) => [...(itemsOf(args[0]) ?? [])];
  builtinReconstructors[`${mod}.tuple`] = (args) => new PyTuple([...(itemsOf(args[0]) ?? [])]);
  builtinReconstructors[`${mod}.slice`] = (args) => new PyObject('builtins.slice', args);
  builtinReconstructors[`${mod}.complex`] = (args) => new PyObject('builtins.complex', args);
  builtinReconstructors[`${mod}.object`] = () => new PyObject('builtins.object', []);
}
builtinReconstructors['_codecs.encode'] = encode;
builtinReconstructors['collections.OrderedDict'] = pyDict('collections.OrderedDict');
builtinReconstructors['collections.defaultdict'] = pyDict('collections.defaultdict');
builtinReconstructors['collections.Counter'] = pyDict('collections.Counter');
builtinReconstructors['copyreg._reconstructor'] = reconstructor;
builtinReconstructors['copy_reg._reconstructor'] = reconstructor;
builtinReconstructors['copyreg.__newobj__'] = (args) => {
  const [cls, ...rest] = args;
  return new PyObject(cls instanceof PyGlobal ? cls.fullName : 'object', rest, 'newobj');
};

// ---------------------------------------------------------------- numpy

export class NumpyDTypeValue implements PyExtension {
  readonly pyKind = 'extension';
  readonly typeName = 'numpy.dtype';
  byteOrderChar = '';
  /** structured dtype (record fields) */
  structured = false;
  constructor(readonly code: string) {}
  get info(): NumpyDType {
    const order = this.byteOrderChar === '>' ? '>' : this.byteOrderChar === '|' ? '|' : '<';
    return parseNumpyDescr(order + this.code);
  }
  setState(state: PyValue): void {
    const items = itemsOf(state);
    if (!items) return;
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    if (typeof items[1] === 'string') this.byteOrderChar = items[1];
    if (items[3] !== null && items[3] !== undefined) this.structured = true;
  }
}

export class NumpyArray implements PyExtension {
  readonly pyKind = 'extension';
  readonly typeName = 'numpy.ndarray';
  shape: number[] = [];
  dtype: NumpyDTypeValue | undefined;
  fortranOrder = false;
  /** raw element bytes; undefined for object arrays */
  data: Uint8Array | undefined;
  /** elements of an object array */
  objects: PyValue[] | undefined;
  constructor(readonly className: string) {}
  setState(state: PyValue): void {
    const items = itemsOf(state);
    if (!items || items.length < 5) return;
    // (version, shape, dtype, is_fortran, rawdata)
    const [, shape, dtype, fortran, raw] = items;
    this.shape = (itemsOf(shape) ?? []).map((d) => toNumber(d) ?? 0);
    if (dtype instanceof NumpyDTypeValue) this.dtype = dtype;
    this.fortranOrder = fortran === true || fortran === 1;
    if (raw instanceof PyBytes) this.data = raw.data;
    else if (typeof raw === 'string') this.data = pyStringToBytes(raw);
    else if (Array.isArray(raw)) this.objects = raw;
  }
}

function dtypeArg(v: PyValue | undefined): NumpyDTypeValue {
  if (v instanceof NumpyDTypeValue) return v;
  if (typeof v === 'string') {
    const m = /^([<>|=]?)(.*)$/.exec(v) as RegExpExecArray;
    const d = new NumpyDTypeValue(m[2]);
    d.byteOrderChar = m[1];
    return d;
  }
  return new NumpyDTypeValue('O');
}

function scalarValue(dtype: NumpyDTypeValue, data: Uint8Array): PyValue {
  const info = dtype.info;
  if (data.length < info.itemSize || info.itemSize === 0) return null;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = info.byteOrder !== 'big';
  switch (info.dtype) {
    case 'float64': return v.getFloat64(0, le);
    case 'float32': return v.getFloat32(0, le);
    case 'int64': return Number(v.getBigInt64(0, le));
    case 'uint64': return Number(v.getBigUint64(0, le));
    case 'int32': return v.getInt32(0, le);
    case 'uint32': return v.getUint32(0, le);
    case 'int16': return v.getInt16(0, le);
    case 'uint16': return v.getUint16(0, le);
    case 'int8': return v.getInt8(0);
    case 'uint8': return v.getUint8(0);
    case 'bool': return v.getUint8(0) !== 0;
    default: return new PyObject(`numpy.${info.numpyName}`, [new PyBytes(data)]);
  }
}

export const numpyReconstructors: Record<string, Reconstructor> = {};
for (const mod of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
  numpyReconstructors[`${mod}._reconstruct`] = (args) => {
    const cls = args[0];
    return new NumpyArray(cls instanceof PyGlobal ? cls.fullName : 'numpy.ndarray');
  };
  numpyReconstructors[`${mod}.scalar`] = (args) => {
    const dtype = dtypeArg(args[0]);
    const raw = args[1];
    const data = raw instanceof PyBytes ? raw.data : typeof raw === 'string' ? pyStringToBytes(raw) : undefined;
    return data ? scalarValue(dtype, data) : null;
  };
}
numpyReconstructors['numpy.dtype'] = (args) => dtypeArg(args[0]);
const frombuffer: Reconstructor = (args) => {
  // numpy.core.numeric._frombuffer(buf, dtype, shape, order)
  const [buf, dtype, shape, order] = args;
  const a = new NumpyArray('numpy.ndarray');
  a.dtype = dtypeArg(dtype);
  a.shape = (itemsOf(shape) ?? []).map((d) => toNumber(d) ?? 0);
  a.fortranOrder = order === 'F';
  if (buf instanceof PyBytes) a.data = buf.data;
  return a;
};
numpyReconstructors['numpy.core.numeric._frombuffer'] = frombuffer;
numpyReconstructors['numpy._core.numeric._frombuffer'] = frombuffer;
numpyReconstructors['numpy.frombuffer'] = (args) => {
  const [buf, dtype] = args;
  const a = new NumpyArray('numpy.ndarray');
  a.dtype = dtypeArg(dtype);
  if (buf instanceof PyBytes) {
    a.data = buf.data;
    const size = a.dtype.info.itemSize;
    a.shape = [size ? Math.floor(buf.data.length / size) : 0];
  }
  return a;
};
