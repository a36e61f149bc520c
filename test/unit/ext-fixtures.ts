/** Hand-made checkpoints for the inspector's unit tests (no file parsing involved). */
import type { ByteSource, Checkpoint, StorageInfo, TensorInfo } from '../../src/core/model';
import type { DTypeName } from '../../src/core/dtype';
import { contiguousStrides, isContiguous, memoryFormatOf } from '../../src/core/layout';

export function bufferSource(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    describe: () => name,
  };
}

export function f32Storage(key: string, values: number[], device = 'cpu'): StorageInfo {
  const buf = new Uint8Array(new Float32Array(values).buffer);
  return { key, dtype: 'float32', bytes: buf.length, device, byteOrder: 'little', source: bufferSource(buf, key) };
}

export function tensor(name: string, shape: number[], storage: StorageInfo | null, extra: Partial<TensorInfo> = {}): TensorInfo {
  const stride = extra.stride ?? contiguousStrides(shape);
  return {
    name, dtype: (storage?.dtype ?? 'float32') as DTypeName, shape, stride, storageOffset: 0,
    contiguous: isContiguous(shape, stride), memoryFormat: memoryFormatOf(shape, stride), layout: 'strided',
    device: storage?.device ?? 'cpu', requiresGrad: false, storage, ...extra,
  };
}

/** a small model + optimizer checkpoint: conv, bn, fc, a transposed view sharing fc's storage, optimizer state */
export function sampleCheckpoint(): Checkpoint {
  const conv = f32Storage('data/0', Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i));
  const bias = f32Storage('data/1', [0.5, -0.5]);
  const fc = f32Storage('data/2', Array.from({ length: 12 }, (_, i) => i - 6));
  const rm = f32Storage('data/3', [0, 0]);
  const ea = f32Storage('data/4', Array.from({ length: 24 }, () => 0.1));
  const tensors: TensorInfo[] = [
    tensor('model.conv.weight', [2, 3, 2, 2], conv),
    tensor('model.conv.bias', [2], bias),
    tensor('model.bn.running_mean', [2], rm),
    tensor('model.fc.weight', [3, 4], fc),
    tensor('model.fc_t', [4, 3], fc, { stride: [1, 4], contiguous: false, memoryFormat: 'other' }),
    tensor('optimizer.state.0.exp_avg', [2, 3, 2, 2], ea),
    tensor('<img src=x onerror=alert(1)>', [2], bias, { storageOffset: 0 }),
  ];
  return {
    path: '/tmp/sample.pt', format: 'torch-zip', tensors, warnings: [], globals: [{ name: 'torch._utils._rebuild_tensor_v2', count: 7, unsafe: false }],
    producer: 'pytorch test', meta: { 'archive prefix': 'sample' },
    content: {
      epoch: 3,
      model: { 'conv.weight': { $tensor: 'model.conv.weight' } },
      optimizer: { state: { 0: { step: 10, exp_avg: { $tensor: 'optimizer.state.0.exp_avg' } } }, param_groups: [{ lr: 0.1, params: [0, 1, 2] }] },
    },
    close: async () => undefined,
  };
}
