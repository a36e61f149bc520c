/**
 * PyTorch's reconstructors (`torch._utils._rebuild_*`, `torch.Size`, `torch.device`, Parameter…) as inert
 * builders of TorchTensor / TorchStorage values. Readers supply `persistentLoad` to turn a storage's
 * persistent id into a TorchStorage (they know where its bytes are).
 *
 * Public API
 *   class TorchStorage (PyExtension)   key, dtype, device, bytes, byteOrder, source (mutable: legacy fills it later)
 *   class TorchTensor  (PyExtension)   dtype, shape, stride, storageOffset, storage, requiresGrad, layout, device, …
 *   torchReconstructors(hooks?): Record<string, Reconstructor>   includes builtins + numpy
 *   resolveQuantParams(tensors)               per-channel scales / zero points read into `quant`
 *   storageDtype(storageType): DTypeName      `torch.FloatStorage` global → float32
 *   dtypeOfGlobal(value): DTypeName | undefined   `torch.float32` global → float32
 */
import type { ByteSource, Layout, QuantInfo } from '../model';
import { UnreadableError } from '../model';
import { dtypeOfStorageClass, dtypeOfTorchAttr, type DTypeName } from '../dtype';
import type { Reconstructor } from './machine';
import { builtinReconstructors, numpyReconstructors, NumpyArray } from './builtins';
import { bufferSource } from '../byteSource';
import { contiguousStrides } from '../layout';
import {
  PyBytes, PyDict, PyGlobal, PyObject, PyTuple, isExtension, itemsOf, toNumber, type PyExtension, type PyValue,
} from './values';

export class TorchStorage implements PyExtension {
  readonly pyKind = 'extension';
  readonly typeName = 'torch.Storage';
  source: ByteSource | null = null;
  byteOrder: 'little' | 'big' = 'little';
  constructor(
    public key: string,
    public dtype: DTypeName,
    public device: string,
    /** whole storage in bytes */
    public bytes: number,
  ) {}
}

export class TorchTensor implements PyExtension {
  readonly pyKind = 'extension';
  readonly typeName = 'torch.Tensor';
  requiresGrad = false;
  isParameter = false;
  layout: Layout = 'strided';
  quant?: QuantInfo;
  /** sparse components (indices/values, crow/col indices) */
  components?: Record<string, TorchTensor>;
  nnz?: number;
  /** the subclass when `_rebuild_from_type_v2` / wrapper subclasses say so */
  subclass?: string;
  /** made from a numpy array (`_rebuild_device_tensor_from_numpy`) */
  fromNumpy = false;
  /** extra state (Parameter attributes, subclass state); content only */
  state?: PyValue;
  /** per-channel quantization: the scales / zero-point tensors (their values go into `quant` on open) */
  quantTensors?: { scales?: TorchTensor; zeroPoints?: TorchTensor };
  constructor(
    public dtype: DTypeName,
    public shape: number[],
    public stride: number[],
    public storageOffset: number,
    public storage: TorchStorage | null,
    public device: string,
  ) {}
  setState(state: PyValue): void {
    this.state = state;
  }
}

function nums(v: PyValue | undefined, what: string): number[] {
  const items = itemsOf(v);
  if (!items) throw new Error(`${what} is not a tuple`);
  const out = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    const n = typeof x === 'number' ? x : toNumber(x);
    if (n === undefined) throw new Error(`${what} holds a non-integer`);
    out[i] = n;
  }
  // torch.load fails on these too (set_ refuses a negative size): one clear error, not a hidden tensor
  if (what === 'size' && out.some((d) => d < 0)) throw new UnreadableError(`a tensor has an invalid size [${out.join(', ')}] (negative)`);
  return out;
}

export function dtypeOfGlobal(v: PyValue | undefined): DTypeName | undefined {
  if (v instanceof PyGlobal && v.module === 'torch') return dtypeOfTorchAttr(v.name);
  if (typeof v === 'string') return dtypeOfTorchAttr(v.replace(/^torch\./, ''));
  return undefined;
}

export function storageDtype(storageType: PyValue | undefined): DTypeName {
  if (storageType instanceof PyGlobal) {
    if (/UntypedStorage$/.test(storageType.name)) return 'uint8';
    return dtypeOfStorageClass(storageType.name) ?? dtypeOfTorchAttr(storageType.name) ?? 'unknown';
  }
  if (typeof storageType === 'string') return dtypeOfStorageClass(storageType) ?? dtypeOfTorchAttr(storageType) ?? 'unknown';
  return 'unknown';
}

function deviceText(v: PyValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v instanceof PyObject && v.className === 'torch.device') return String(v.args[0] ?? 'cpu');
  return 'cpu';
}

function asStorage(v: PyValue | undefined): TorchStorage {
  if (v instanceof TorchStorage) return v;
  throw new Error('not a storage');
}

function asTensor(v: PyValue | undefined): TorchTensor {
  if (v instanceof TorchTensor) return v;
  throw new Error('not a tensor');
}

function strided(storage: TorchStorage, offset: PyValue, size: PyValue, stride: PyValue, dtype?: DTypeName): TorchTensor {
  const shape = nums(size, 'size');
  const st = stride === undefined || stride === null ? contiguousStrides(shape) : nums(stride, 'stride');
  return new TorchTensor(dtype ?? storage.dtype, shape, st, toNumber(offset) ?? 0, storage, storage.device);
}

const QSCHEMES: Record<string, QuantInfo['scheme']> = {
  per_tensor_affine: 'per_tensor_affine', per_channel_affine: 'per_channel_affine',
  per_channel_affine_float_qparams: 'per_channel_affine_float_qparams', per_tensor_symmetric: 'per_tensor_symmetric',
};

function layoutOf(v: PyValue | undefined): Layout {
  const name = v instanceof PyGlobal ? v.name : typeof v === 'string' ? v.replace(/^torch\./, '') : 'strided';
  switch (name) {
    case 'sparse_coo': case 'sparse_csr': case 'sparse_csc': case 'sparse_bsr': case 'sparse_bsc': return name;
    default: return 'strided';
  }
}

export interface TorchHooks {
  /** `torch.storage._load_from_bytes(b)`: a nested torch.save of one storage */
  loadFromBytes?(data: Uint8Array): TorchStorage;
  /** collects per-channel quantized tensors, for `resolveQuantParams` */
  quantized?: TorchTensor[];
}

const MAX_CHANNELS = 1 << 20;

async function smallValues(t: TorchTensor): Promise<number[] | undefined> {
  const s = t.storage;
  if (!s?.source || t.shape.length > 1) return undefined;
  const n = t.shape.length ? t.shape[0] : 1;
  const step = t.shape.length ? t.stride[0] : 1;
  const item = { float64: 8, float32: 4, int64: 8, int32: 4 }[t.dtype as 'float64'];
  if (!item || n > MAX_CHANNELS) return undefined;
  const start = t.storageOffset * item;
  const span = ((n - 1) * step + 1) * item;
  const bytes = await s.source.read(start, span);
  if (bytes.length < span) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = s.byteOrder !== 'big';
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * step * item;
    out.push(t.dtype === 'float64' ? v.getFloat64(at, le) : t.dtype === 'float32' ? v.getFloat32(at, le)
      : t.dtype === 'int32' ? v.getInt32(at, le) : Number(v.getBigInt64(at, le)));
  }
  return out;
}

/**
 * Per-channel quantized tensors keep their scales / zero points in two small tensors: read them (a few
 * bytes per channel) into `quant.scales` / `quant.zeroPoints`. Unreadable ones are left out.
 */
export async function resolveQuantParams(tensors: TorchTensor[]): Promise<void> {
  for (const t of tensors) {
    if (!t.quant || !t.quantTensors) continue;
    try {
      const scales = t.quantTensors.scales && await smallValues(t.quantTensors.scales);
      const zps = t.quantTensors.zeroPoints && await smallValues(t.quantTensors.zeroPoints);
      if (scales) t.quant.scales = scales;
      if (zps) t.quant.zeroPoints = zps;
    } catch {
      // leave the tensor without inline scales
    }
  }
}

export function torchReconstructors(hooks: TorchHooks = {}): Record<string, Reconstructor> {
  const r: Record<string, Reconstructor> = { ...builtinReconstructors, ...numpyReconstructors };
  const U = 'torch._utils.';

  r[`${U}_rebuild_tensor`] = (a) => strided(asStorage(a[0]), a[1], a[2], a[3]);
  r[`${U}_rebuild_tensor_v2`] = (a) => {
    const t = strided(asStorage(a[0]), a[1], a[2], a[3]);
    t.requiresGrad = a[4] === true;
    return t;
  };
  r[`${U}_rebuild_tensor_v3`] = (a) => {
    const t = strided(asStorage(a[0]), a[1], a[2], a[3], dtypeOfGlobal(a[6]));
    t.requiresGrad = a[4] === true;
    return t;
  };
  const parameter: Reconstructor = (a) => {
    const src = asTensor(a[0]);
    const t = Object.assign(Object.create(TorchTensor.prototype) as TorchTensor, src);
    t.isParameter = true;
    t.requiresGrad = a[1] === undefined ? true : a[1] === true;
    if (a[3] !== undefined) t.state = a[3];
    return t;
  };
  r[`${U}_rebuild_parameter`] = parameter;
  r[`${U}_rebuild_parameter_with_state`] = parameter;
  r['torch.nn.parameter.Parameter'] = parameter;
  r[`${U}_rebuild_qtensor`] = (a) => {
    const [storage, offset, size, stride, qparams, requiresGrad] = a;
    const t = strided(asStorage(storage), offset, size, stride);
    t.requiresGrad = requiresGrad === true;
    const q = itemsOf(qparams) ?? [];
    const schemeName = q[0] instanceof PyGlobal ? q[0].name : String(q[0]);
    const scheme = QSCHEMES[schemeName] ?? 'other';
    const quant: QuantInfo = { scheme };
    if (scheme === 'per_tensor_affine' || scheme === 'per_tensor_symmetric') {
      quant.scale = toNumber(q[1]);
      quant.zeroPoint = toNumber(q[2]);
    } else {
      quant.axis = toNumber(q[3]);
      t.quantTensors = {
        scales: q[1] instanceof TorchTensor ? q[1] : undefined,
        zeroPoints: q[2] instanceof TorchTensor ? q[2] : undefined,
      };
      hooks.quantized?.push(t);
    }
    t.quant = quant;
    return t;
  };
  const sparse: Reconstructor = (a) => {
    const layout = layoutOf(a[0]);
    const data = itemsOf(a[1]) ?? [];
    if (layout === 'sparse_coo') {
      const [indices, values, size] = data;
      const v = asTensor(values);
      const t = new TorchTensor(v.dtype, nums(size, 'size'), [], 0, null, v.device);
      t.layout = layout;
      t.components = { indices: asTensor(indices), values: v };
      t.nnz = v.shape[0];
      return t;
    }
    const [compressed, plain, values, size] = data;
    const v = asTensor(values);
    const t = new TorchTensor(v.dtype, nums(size, 'size'), [], 0, null, v.device);
    t.layout = layout;
    const names = layout === 'sparse_csr' || layout === 'sparse_bsr' ? ['crow_indices', 'col_indices'] : ['ccol_indices', 'row_indices'];
    t.components = { [names[0]]: asTensor(compressed), [names[1]]: asTensor(plain), values: v };
    t.nnz = v.shape[0];
    return t;
  };
  r[`${U}_rebuild_sparse_tensor`] = sparse;
  r[`${U}_rebuild_sparse_csr_tensor`] = sparse;
  r[`${U}_rebuild_meta_tensor_no_storage`] = (a) => {
    const shape = nums(a[1], 'size');
    const t = new TorchTensor(dtypeOfGlobal(a[0]) ?? 'unknown', shape, nums(a[2], 'stride'), 0, null, 'meta');
    t.requiresGrad = a[3] === true;
    return t;
  };
  r[`${U}_rebuild_wrapper_subclass`] = (a) => {
    const [cls, dtype, size, stride, offset, layout, device, requiresGrad] = a;
    const t = new TorchTensor(dtypeOfGlobal(dtype) ?? 'unknown', nums(size, 'size'), nums(stride, 'stride'), toNumber(offset) ?? 0, null, deviceText(device));
    t.layout = layoutOf(layout);
    t.requiresGrad = requiresGrad === true;
    if (cls instanceof PyGlobal) t.subclass = cls.fullName;
    return t;
  };
  r[`${U}_rebuild_device_tensor_from_numpy`] = (a) => {
    const [arr, dtype, device, requiresGrad] = a;
    if (!(arr instanceof NumpyArray)) throw new Error('not a numpy array');
    const dt = dtypeOfGlobal(dtype) ?? arr.dtype?.info.dtype ?? 'unknown';
    const data = arr.data ?? new Uint8Array(0);
    const storage = new TorchStorage(`numpy@${deviceText(device)}#${data.byteOffset}`, dt, deviceText(device), data.length);
    storage.source = bufferSource(data, 'numpy array in the pickle');
    if (arr.dtype?.info.byteOrder === 'big') storage.byteOrder = 'big';
    const st = arr.fortranOrder ? contiguousStrides([...arr.shape].reverse()).reverse() : contiguousStrides(arr.shape);
    const t = new TorchTensor(dt, arr.shape, st, 0, storage, deviceText(device));
    t.requiresGrad = requiresGrad === true;
    t.fromNumpy = true;
    return t;
  };
  r['torch._tensor._rebuild_from_type_v2'] = (a, ctx) => {
    const [func, newType, args, state] = a;
    const made = ctx.call(func, itemsOf(args) ?? []);
    if (made instanceof TorchTensor) {
      if (newType instanceof PyGlobal) {
        if (newType.fullName === 'torch.nn.parameter.Parameter') made.isParameter = true;
        else if (newType.fullName !== 'torch.Tensor') made.subclass = newType.fullName;
      }
      if (state instanceof PyDict && state.size > 0) made.state = state;
    }
    return made;
  };
  r['torch.Size'] = (a) => new PyTuple([...(itemsOf(a[0]) ?? [])]);
  r['torch.device'] = (a) => {
    const [type, index] = a;
    if (typeof type !== 'string') return 'cpu';
    return index === undefined || index === null || type.includes(':') ? type : `${type}:${toNumber(index) ?? 0}`;
  };
  r['torch.serialization._get_layout'] = (a) => (typeof a[0] === 'string' ? a[0].replace(/^torch\./, '') : 'strided');
  r['torch.storage._load_from_bytes'] = (a) => {
    const b = a[0];
    if (!(b instanceof PyBytes) || !hooks.loadFromBytes) throw new Error('cannot load nested storage');
    return hooks.loadFromBytes(b.data);
  };
  return r;
}

/** A TorchTensor reached through `isExtension` checks elsewhere. */
export function isTorchTensor(v: unknown): v is TorchTensor {
  return isExtension(v) && v instanceof TorchTensor;
}

export { NumpyArray };
export type { PyObject };
