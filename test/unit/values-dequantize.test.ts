import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize } from '../../src/core/values';
import type { QuantInfo, TensorInfo } from '../../src/core/model';
import { contiguousStrides } from '../../src/core/layout';

function quantized(shape: number[], quant: QuantInfo): TensorInfo {
  return {
    name: 'q', dtype: 'qint8', shape, stride: contiguousStrides(shape), storageOffset: 0, contiguous: true,
    memoryFormat: 'contiguous', layout: 'strided', device: 'cpu', requiresGrad: false, storage: null, quant,
  };
}

test('dequantize: per tensor, per channel (from any first element), unusable parameters', () => {
  const q = Int8Array.from([-4, 0, 2, 5, 7, -1]);
  assert.deepEqual(Array.from(dequantize(quantized([2, 3], { scheme: 'per_tensor_affine', scale: 0.5, zeroPoint: 2 }), q) ?? []),
    [-3, -1, 0, 1.5, 2.5, -1.5]);
  const perChannel: QuantInfo = { scheme: 'per_channel_affine', axis: 1, scales: [1, 0.25, 10], zeroPoints: [0, 1, -1] };
  assert.deepEqual(Array.from(dequantize(quantized([2, 3], perChannel), q) ?? []), [-4, -0.25, 30, 5, 1.5, 0]);
  // a block that starts at element 4 (channel 1) of the same tensor
  assert.deepEqual(Array.from(dequantize(quantized([2, 3], perChannel), Int8Array.from([7, -1]), 4) ?? []), [1.5, 0]);
  assert.equal(dequantize(quantized([2, 3], { scheme: 'per_channel_affine', axis: 5, scales: [1] }), q), null);
  assert.equal(dequantize({ ...quantized([2], { scheme: 'other' }), quant: undefined }, q), null);
});
