/** Building a dense, strided `TensorInfo`: contiguity and memory format derived from shape and strides. */
import { contiguousStrides, isContiguous, memoryFormatOf } from './layout';
import type { StorageInfo, TensorInfo } from './model';

export interface StridedOptions {
  /** row-major when omitted */
  stride?: number[];
  storageOffset?: number;
  /** the storage's device when omitted */
  device?: string;
  requiresGrad?: boolean;
}

/** A strided tensor over `storage`; the remaining optional fields (numpy, quant, …) go in `extra`. */
export function stridedTensor(
  name: string,
  shape: number[],
  storage: StorageInfo,
  options: StridedOptions = {},
  extra: Partial<Pick<TensorInfo, 'numpy' | 'numpyDtype' | 'isParameter' | 'quant'>> = {},
): TensorInfo {
  const stride = options.stride ?? contiguousStrides(shape);
  return {
    name,
    dtype: storage.dtype,
    shape,
    stride,
    storageOffset: options.storageOffset ?? 0,
    contiguous: isContiguous(shape, stride),
    memoryFormat: memoryFormatOf(shape, stride),
    layout: 'strided',
    device: options.device ?? storage.device,
    requiresGrad: options.requiresGrad ?? false,
    storage,
    ...extra,
  };
}
