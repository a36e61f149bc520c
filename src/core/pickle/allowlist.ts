/**
 * Which pickle globals `torch.load(weights_only=True)` accepts without `add_safe_globals`, after
 * torch/_weights_only_unpickler.py `_get_allowed_globals()` (torch 2.x; numpy globals are not in it).
 * Used only to flag globals in reports; nothing is ever executed either way.
 */

const EXACT = new Set<string>([
  'collections.OrderedDict', 'collections.Counter',
  'torch.nn.parameter.Parameter', 'torch.serialization._get_layout', 'torch.Size', 'torch.Tensor', 'torch.device',
  '_codecs.encode', 'builtins.bytearray', 'builtins.set', 'builtins.complex',
  'torch._tensor._rebuild_from_type_v2',
  'torch.storage.UntypedStorage', 'torch.storage.TypedStorage', 'torch.UntypedStorage', 'torch.TypedStorage',
  'torch.storage._load_from_bytes',
  // qschemes and layouts
  'torch.per_tensor_affine', 'torch.per_channel_affine', 'torch.per_channel_affine_float_qparams',
  'torch.per_tensor_symmetric', 'torch.per_channel_symmetric',
  'torch.sparse_coo', 'torch.sparse_csr', 'torch.sparse_csc', 'torch.sparse_bsr', 'torch.sparse_bsc', 'torch.strided',
  'torch._mkldnn',
]);

const REBUILD = new Set<string>([
  '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor', '_rebuild_tensor', '_rebuild_tensor_v2',
  '_rebuild_tensor_v3', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_nested_tensor',
  '_rebuild_wrapper_subclass', '_rebuild_sparse_csr_tensor', '_rebuild_device_tensor_from_numpy',
]);

const DTYPES = new Set<string>([
  'float64', 'double', 'float32', 'float', 'float16', 'half', 'bfloat16',
  'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2',
  'int8', 'int16', 'short', 'int32', 'int', 'int64', 'long', 'uint8', 'uint16', 'uint32', 'uint64', 'bool',
  'complex32', 'chalf', 'complex64', 'cfloat', 'complex128', 'cdouble',
  'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4', 'bits1x8', 'bits2x4', 'bits4x2', 'bits8', 'bits16',
]);

/** Python 2 names protocol-2 pickles carry (`fix_imports`), mapped as torch's unpickler maps them. */
function py3Name(fullName: string): string {
  if (fullName.startsWith('__builtin__.')) return `builtins.${fullName.slice(12)}`;
  if (fullName.startsWith('copy_reg.')) return `copyreg.${fullName.slice(9)}`;
  return fullName;
}

export function isWeightsOnlySafe(name: string): boolean {
  const fullName = py3Name(name);
  if (EXACT.has(fullName)) return true;
  if (fullName.startsWith('torch._utils.')) return REBUILD.has(fullName.slice('torch._utils.'.length));
  const m = /^torch\.(cuda\.)?([A-Za-z0-9_]+)$/.exec(fullName);
  if (m) {
    const name = m[2];
    if (DTYPES.has(name)) return !m[1];
    // tensor and storage classes: torch.FloatStorage, torch.cuda.HalfTensor, …
    if (/^[A-Z][A-Za-z0-9_]*(Storage|Tensor)$/.test(name)) return true;
  }
  return false;
}
