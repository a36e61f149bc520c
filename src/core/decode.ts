/**
 * Element decoding: raw storage bytes (contiguous, one dtype, either byte order) → typed arrays.
 *
 *   decodeNatural(dtype, bytes, byteOrder)  the elements in their natural JS type (fp16/bf16/fp8 → Float32Array,
 *                                           int64 → BigInt64Array, bool → Uint8Array, complex → interleaved floats)
 *   decodeNumeric(dtype, bytes, byteOrder)  the elements as numbers for statistics: Float32Array where exact
 *                                           (float32, fp16, bf16, fp8), Float64Array otherwise; null when the
 *                                           dtype has no real value per element (complex, object, …)
 *
 * No per-element allocation: lookup tables for 16- and 8-bit floats, typed-array views over aligned bytes.
 */
import type { DTypeName } from './dtype';
import { dtypeInfo } from './dtype';
import type { QuantInfo } from './model';

export type NaturalArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type NumericArray = Float32Array | Float64Array;

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half → float32, all 65536 codes. */
export const HALF_TABLE: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

function fp8Table(expBits: number, bias: number, variant: 'ieee' | 'fn' | 'fnuz'): Float32Array {
  const t = new Float32Array(256);
  const manBits = 7 - expBits;
  const expMax = (1 << expBits) - 1;
  const manMax = (1 << manBits) - 1;
  for (let b = 0; b < 256; b++) {
    const neg = (b & 0x80) !== 0;
    const e = (b >> manBits) & expMax;
    const m = b & manMax;
    let v: number;
    if (variant === 'fnuz' && b === 0x80) v = NaN;
    else if (variant === 'fn' && e === expMax && m === manMax) v = NaN;
    else if (variant === 'ieee' && e === expMax) v = m ? NaN : Infinity;
    else if (e === 0) v = (m / (1 << manBits)) * 2 ** (1 - bias);
    else v = (1 + m / (1 << manBits)) * 2 ** (e - bias);
    t[b] = neg && !Number.isNaN(v) ? -v : v;
  }
  return t;
}

const FP8_TABLES: Partial<Record<DTypeName, Float32Array>> = {
  float8_e4m3fn: fp8Table(4, 7, 'fn'),
  float8_e5m2: fp8Table(5, 15, 'ieee'),
  float8_e4m3fnuz: fp8Table(4, 8, 'fnuz'),
  float8_e5m2fnuz: fp8Table(5, 16, 'fnuz'),
  float8_e8m0fnu: (() => {
    const t = new Float32Array(256);
    for (let b = 0; b < 256; b++) t[b] = b === 255 ? NaN : 2 ** (b - 127);
    return t;
  })(),
};

/** The 16 values of an fp4 e2m1 nibble. */
const FP4_VALUES = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];

/** Bytes aligned to `align` and in host byte order (copies only when needed). */
function prepared(bytes: Uint8Array, width: number, byteOrder: 'little' | 'big'): Uint8Array {
  const swap = width > 1 && (byteOrder === 'little') !== HOST_LITTLE;
  const usable = bytes.length - (bytes.length % Math.max(1, width));
  let b = bytes.subarray(0, usable);
  if (swap) {
    const copy = Buffer.from(b); // Buffer.from(Uint8Array) copies
    if (width === 2) copy.swap16();
    else if (width === 4) copy.swap32();
    else if (width === 8) copy.swap64();
    return copy;
  }
  if (b.byteOffset % Math.max(1, width) !== 0) b = new Uint8Array(b); // a copy (Buffer#slice would not copy)
  return b;
}

/** Width of one swappable unit: complex types swap per component. */
function unitWidth(dtype: DTypeName): number {
  switch (dtype) {
    case 'complex32': return 2;
    case 'complex64': return 4;
    case 'complex128': return 8;
    default: return dtypeInfo(dtype).itemSize;
  }
}

function halfToFloat(u16: Uint16Array): Float32Array {
  const out = new Float32Array(u16.length);
  const t = HALF_TABLE;
  for (let i = 0; i < u16.length; i++) out[i] = t[u16[i]];
  return out;
}

function bf16ToFloat(u16: Uint16Array): Float32Array {
  const out = new Float32Array(u16.length);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < u16.length; i++) o32[i] = u16[i] << 16;
  return out;
}

function tableDecode(bytes: Uint8Array, table: Float32Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
  return out;
}

function fp4Decode(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = FP4_VALUES[bytes[i] & 15];
    out[2 * i + 1] = FP4_VALUES[bytes[i] >> 4];
  }
  return out;
}

/** True when the dtype decodes to more than one number per element (complex: 2, float4 x2: 2). */
export function componentsPerElement(dtype: DTypeName): number {
  return dtype === 'complex32' || dtype === 'complex64' || dtype === 'complex128' || dtype === 'float4_e2m1fn_x2' ? 2 : 1;
}

/** Elements in their natural type; see the module comment. Throws on dtypes without a byte layout (object). */
export function decodeNatural(dtype: DTypeName, bytes: Uint8Array, byteOrder: 'little' | 'big'): NaturalArray {
  const b = prepared(bytes, unitWidth(dtype), byteOrder);
  const n2 = b.length >> 1;
  const n4 = b.length >> 2;
  const n8 = b.length >> 3;
  switch (dtype) {
    case 'float32': case 'complex64': return new Float32Array(b.buffer, b.byteOffset, n4).slice();
    case 'float64': case 'complex128': return new Float64Array(b.buffer, b.byteOffset, n8).slice();
    case 'float16': case 'complex32': return halfToFloat(new Uint16Array(b.buffer, b.byteOffset, n2));
    case 'bfloat16': return bf16ToFloat(new Uint16Array(b.buffer, b.byteOffset, n2));
    case 'float8_e4m3fn': case 'float8_e5m2': case 'float8_e4m3fnuz': case 'float8_e5m2fnuz': case 'float8_e8m0fnu':
      return tableDecode(b, FP8_TABLES[dtype] as Float32Array);
    case 'float4_e2m1fn_x2': return fp4Decode(b);
    case 'int8': case 'qint8': return new Int8Array(b.buffer, b.byteOffset, b.length).slice();
    case 'int16': return new Int16Array(b.buffer, b.byteOffset, n2).slice();
    case 'int32': case 'qint32': return new Int32Array(b.buffer, b.byteOffset, n4).slice();
    case 'int64': return new BigInt64Array(b.buffer, b.byteOffset, n8).slice();
    case 'uint16': case 'bits16': return new Uint16Array(b.buffer, b.byteOffset, n2).slice();
    case 'uint32': return new Uint32Array(b.buffer, b.byteOffset, n4).slice();
    case 'uint64': return new BigUint64Array(b.buffer, b.byteOffset, n8).slice();
    case 'uint8': case 'bool': case 'quint8': case 'quint4x2': case 'quint2x4':
    case 'bits1x8': case 'bits2x4': case 'bits4x2': case 'bits8':
      return new Uint8Array(b);
    default:
      throw new Error(`no element decoding for dtype ${dtype}`);
  }
}

/** Real numbers for statistics (one per element), or null for dtypes without one (complex, object, bits). */
export function decodeNumeric(dtype: DTypeName, bytes: Uint8Array, byteOrder: 'little' | 'big'): NumericArray | null {
  const width = unitWidth(dtype);
  switch (dtype) {
    case 'float32': {
      const b = prepared(bytes, 4, byteOrder);
      return new Float32Array(b.buffer, b.byteOffset, b.length >> 2);
    }
    case 'float64': {
      const b = prepared(bytes, 8, byteOrder);
      return new Float64Array(b.buffer, b.byteOffset, b.length >> 3);
    }
    case 'float16': case 'bfloat16':
    case 'float8_e4m3fn': case 'float8_e5m2': case 'float8_e4m3fnuz': case 'float8_e5m2fnuz': case 'float8_e8m0fnu':
      return decodeNatural(dtype, bytes, byteOrder) as Float32Array;
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': case 'bool':
    case 'qint8': case 'quint8': case 'qint32': {
      const nat = decodeNatural(dtype, bytes, byteOrder) as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
      return Float64Array.from(nat);
    }
    case 'int64': case 'uint64': {
      const b = prepared(bytes, width, byteOrder);
      const n = b.length >> 3;
      const u32 = new Uint32Array(b.buffer, b.byteOffset, n * 2);
      const out = new Float64Array(n);
      const lo = HOST_LITTLE ? 0 : 1;
      const hi = 1 - lo;
      if (dtype === 'int64') {
        const i32 = new Int32Array(b.buffer, b.byteOffset, n * 2);
        for (let i = 0; i < n; i++) out[i] = i32[2 * i + hi] * 4294967296 + u32[2 * i + lo];
      } else {
        for (let i = 0; i < n; i++) out[i] = u32[2 * i + hi] * 4294967296 + u32[2 * i + lo];
      }
      return out;
    }
    default:
      return null;
  }
}

/** Whether `decodeNumeric` gives numbers for this dtype. */
export function hasNumericValues(dtype: DTypeName): boolean {
  switch (dtype) {
    case 'complex32': case 'complex64': case 'complex128': case 'object': case 'unknown':
    case 'float4_e2m1fn_x2': case 'quint4x2': case 'quint2x4':
    case 'bits1x8': case 'bits2x4': case 'bits4x2': case 'bits8': case 'bits16':
      return false;
    default:
      return dtypeInfo(dtype).itemSize > 0;
  }
}

/**
 * Dequantize raw quantized integers into `out`: (q − zero point) × scale, per tensor or per channel along
 * `quant.axis` of `shape`; `first` is the row-major index of `values[0]`. `out` may be `values` itself.
 * False (and `out` untouched) when the quantization parameters are unusable.
 */
export function dequantizeInto(
  values: ArrayLike<number>, out: Float32Array | Float64Array, quant: QuantInfo, shape: readonly number[], first: number,
): boolean {
  if (quant.scale !== undefined && (quant.scheme === 'per_tensor_affine' || quant.scheme === 'per_tensor_symmetric' || !quant.scales)) {
    const s = quant.scale;
    const z = quant.zeroPoint ?? 0;
    for (let i = 0; i < values.length; i++) out[i] = (values[i] - z) * s;
    return true;
  }
  if (quant.scales && quant.axis !== undefined && quant.axis >= 0 && quant.axis < shape.length) {
    let inner = 1;
    for (let d = quant.axis + 1; d < shape.length; d++) inner *= shape[d];
    const channels = shape[quant.axis];
    const scales = quant.scales;
    const zps = quant.zeroPoints ?? [];
    for (let i = 0; i < values.length; i++) {
      const c = Math.floor((first + i) / inner) % channels;
      out[i] = (values[i] - (zps[c] ?? 0)) * (scales[c] ?? 1);
    }
    return true;
  }
  return false;
}
