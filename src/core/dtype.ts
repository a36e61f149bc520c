/** Every torch dtype (and the numpy dtypes that map onto them), with element size and kind. */

export type DTypeKind = 'float' | 'int' | 'uint' | 'bool' | 'complex' | 'quantized' | 'bits' | 'other';

export type DTypeName =
  | 'float64' | 'float32' | 'float16' | 'bfloat16'
  | 'float8_e4m3fn' | 'float8_e5m2' | 'float8_e4m3fnuz' | 'float8_e5m2fnuz' | 'float8_e8m0fnu' | 'float4_e2m1fn_x2'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool'
  | 'complex32' | 'complex64' | 'complex128'
  | 'qint8' | 'quint8' | 'qint32' | 'quint4x2' | 'quint2x4'
  | 'bits1x8' | 'bits2x4' | 'bits4x2' | 'bits8' | 'bits16'
  /** numpy-only or unknown element types: `object`, strings, structured records */
  | 'object' | 'unknown';

export interface DTypeInfo {
  readonly name: DTypeName;
  /** bytes per element (0 for object/unknown) */
  readonly itemSize: number;
  readonly kind: DTypeKind;
}

const TABLE: ReadonlyArray<[DTypeName, number, DTypeKind]> = [
  ['float64', 8, 'float'], ['float32', 4, 'float'], ['float16', 2, 'float'], ['bfloat16', 2, 'float'],
  ['float8_e4m3fn', 1, 'float'], ['float8_e5m2', 1, 'float'], ['float8_e4m3fnuz', 1, 'float'],
  ['float8_e5m2fnuz', 1, 'float'], ['float8_e8m0fnu', 1, 'float'], ['float4_e2m1fn_x2', 1, 'float'],
  ['int8', 1, 'int'], ['int16', 2, 'int'], ['int32', 4, 'int'], ['int64', 8, 'int'],
  ['uint8', 1, 'uint'], ['uint16', 2, 'uint'], ['uint32', 4, 'uint'], ['uint64', 8, 'uint'],
  ['bool', 1, 'bool'],
  ['complex32', 4, 'complex'], ['complex64', 8, 'complex'], ['complex128', 16, 'complex'],
  ['qint8', 1, 'quantized'], ['quint8', 1, 'quantized'], ['qint32', 4, 'quantized'],
  ['quint4x2', 1, 'quantized'], ['quint2x4', 1, 'quantized'],
  ['bits1x8', 1, 'bits'], ['bits2x4', 1, 'bits'], ['bits4x2', 1, 'bits'], ['bits8', 1, 'bits'], ['bits16', 2, 'bits'],
  ['object', 0, 'other'], ['unknown', 0, 'other'],
];

const BY_NAME = new Map<string, DTypeInfo>(TABLE.map(([name, itemSize, kind]) => [name, { name, itemSize, kind }]));

export function dtypeInfo(name: DTypeName): DTypeInfo {
  const info = BY_NAME.get(name);
  if (!info) throw new Error(`unknown dtype ${name}`);
  return info;
}

export function isDTypeName(name: string): name is DTypeName {
  return BY_NAME.has(name);
}

/** Legacy storage class names (`torch.FloatStorage`, `torch.cuda.HalfStorage`, …) → dtype. */
const STORAGE_CLASSES: Record<string, DTypeName> = {
  DoubleStorage: 'float64', FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8', QUInt8Storage: 'quint8', QInt32Storage: 'qint32', QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UInt16Storage: 'uint16', UInt32Storage: 'uint32', UInt64Storage: 'uint64',
  Float8_e4m3fnStorage: 'float8_e4m3fn', Float8_e5m2Storage: 'float8_e5m2',
  Float8_e4m3fnuzStorage: 'float8_e4m3fnuz', Float8_e5m2fnuzStorage: 'float8_e5m2fnuz',
  Float8_e8m0fnuStorage: 'float8_e8m0fnu', ComplexHalfStorage: 'complex32',
};

/** `FloatStorage` or `torch.cuda.FloatStorage` → `float32`; undefined when not a storage class. */
export function dtypeOfStorageClass(className: string): DTypeName | undefined {
  const base = className.split('.').pop() ?? className;
  return STORAGE_CLASSES[base];
}

/** `torch.float32` attribute names (`float`, `half`, `long`, `float32`, …) → dtype. */
const TORCH_ATTRS: Record<string, DTypeName> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16',
  cfloat: 'complex64', cdouble: 'complex128', chalf: 'complex32', uint8: 'uint8',
};

export function dtypeOfTorchAttr(attr: string): DTypeName | undefined {
  if (isDTypeName(attr)) return attr;
  return TORCH_ATTRS[attr];
}

/** numpy dtype names (`float32`, `<f4`, `bool_`, …) → torch dtype; `numpyName` keeps numpy's own spelling. */
const NUMPY_CODES: Record<string, DTypeName> = {
  f8: 'float64', f4: 'float32', f2: 'float16', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool', c8: 'complex64', c16: 'complex128',
  O: 'object',
};

export interface NumpyDType {
  dtype: DTypeName;
  /** numpy's name (`float32`, `int16`, `bool`, `object`, …) */
  numpyName: string;
  byteOrder: 'little' | 'big' | 'none';
  itemSize: number;
}

/** Parse a numpy dtype descr string such as `<f4`, `>i2`, `|b1`, `|O`, `<U10`. */
export function parseNumpyDescr(descr: string): NumpyDType {
  const m = /^([<>|=]?)([a-zA-Z]+)(\d*)$/.exec(descr);
  if (!m) return { dtype: 'unknown', numpyName: descr, byteOrder: 'none', itemSize: 0 };
  const order = m[1] === '>' ? 'big' : m[1] === '|' ? 'none' : 'little';
  const code = m[2] + m[3];
  const dtype = NUMPY_CODES[code] ?? (m[2] === 'O' ? 'object' : 'unknown');
  const itemSize = m[3] ? Number(m[3]) : dtype === 'object' ? 8 : 0;
  const numpyName = dtype === 'unknown' ? descr : numpyNameOf(dtype);
  return { dtype, numpyName, byteOrder: itemSize <= 1 ? 'none' : order, itemSize };
}

export function numpyNameOf(dtype: DTypeName): string {
  switch (dtype) {
    case 'bool': return 'bool';
    case 'object': return 'object';
    default: return dtype;
  }
}

/** torch dtype → numpy descr for writing `.npy` (little-endian); undefined when numpy has no such type. */
export function numpyDescrOf(dtype: DTypeName): string | undefined {
  for (const [code, name] of Object.entries(NUMPY_CODES)) {
    if (name === dtype && code !== 'O') return (code === 'b1' || code === 'i1' || code === 'u1' ? '|' : '<') + code;
  }
  return undefined;
}
