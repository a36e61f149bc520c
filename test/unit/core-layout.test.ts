import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contiguousStrides, inferShape, isContiguous, layoutKind, memoryFormatOf, storageExtent, viewStrides } from '../../src/core/layout';

test('contiguous strides and contiguity follow torch', () => {
  assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(contiguousStrides([]), []);
  assert.deepEqual(contiguousStrides([0, 7]), [7, 1]);
  assert.equal(isContiguous([12, 10], [1, 12]), false);
  assert.equal(isContiguous([24], [1]), true);
  assert.equal(isContiguous([3, 1, 4], [4, 99, 1]), true, 'size-1 dims are ignored');
  assert.equal(isContiguous([3, 4], [0, 1]), false, 'expanded');
  assert.equal(isContiguous([0, 5], [1, 1]), true, 'empty');
});

test('memory format', () => {
  assert.equal(memoryFormatOf([2, 3, 4, 5], [60, 1, 15, 3]), 'channels_last');
  assert.equal(memoryFormatOf([2, 3, 4, 5], [60, 20, 5, 1]), 'contiguous');
  assert.equal(memoryFormatOf([2, 3, 4, 5, 6], [360, 1, 90, 18, 3]), 'channels_last_3d');
  assert.equal(memoryFormatOf([12, 10], [1, 12]), 'other');
});

test('view strides as ATen computeStride', () => {
  // transposed [12, 10] stride [1, 12]: view(120) impossible, view(12, 10) trivially ok, view(12, 2, 5) ok
  assert.equal(viewStrides([12, 10], [1, 12], [120]), null);
  assert.deepEqual(viewStrides([12, 10], [1, 12], [12, 2, 5]), [1, 60, 12]);
  assert.deepEqual(viewStrides([2, 3, 4], [12, 4, 1], [6, 4]), [4, 1]);
  assert.deepEqual(viewStrides([2, 3, 4], [12, 4, 1], [4, 1, 6]), [6, 6, 1]);
  // sliced [3, 4] stride [12, 3]: view(12) impossible, view(3, 2, 2) ok
  assert.deepEqual(viewStrides([3, 4], [12, 3], [12]), [3]);
  assert.equal(viewStrides([3, 4], [8, 1], [12]), null);
  assert.deepEqual(viewStrides([3, 4], [12, 3], [3, 2, 2]), [12, 6, 3]);
  assert.deepEqual(viewStrides([], [], [1, 1]), [1, 1]);
  assert.deepEqual(viewStrides([0, 3], [3, 1], [3, 0]), [1, 1]);
  assert.equal(viewStrides([2, 3], [3, 1], [5]), null);
});

test('inferShape and extent', () => {
  assert.deepEqual(inferShape([6, -1], 24), [6, 4]);
  assert.throws(() => inferShape([5, -1], 24), /invalid for input of size 24/);
  assert.throws(() => inferShape([-1, -1], 24), /only one dimension/);
  assert.deepEqual(storageExtent([3, 4], [12, 3], 24), { first: 24, last: 57 });
  assert.equal(storageExtent([0, 4], [4, 1], 0), null);
});

test('layoutKind: one name per kind, as the table, hover, details and CLI show it', () => {
  assert.equal(layoutKind([2, 3, 4], [12, 4, 1]), 'contiguous');
  assert.equal(layoutKind([12, 10], [1, 12]), 'non-contiguous', 'transposed');
  assert.equal(layoutKind([3, 4], [8, 2]), 'non-contiguous', 'strided slice');
  assert.equal(layoutKind([2, 3, 4, 5], [60, 1, 15, 3]), 'channels_last');
  assert.equal(layoutKind([2, 3, 4, 5, 6], [360, 1, 90, 18, 3]), 'channels_last_3d');
  assert.equal(layoutKind([4, 3], [0, 1]), 'expanded');
  assert.equal(layoutKind([2, 3, 4, 5], [0, 1, 15, 3]), 'expanded', 'an expanded batch of a channels_last tensor');
  assert.equal(layoutKind([2, 3, 4, 5], [60, 1, 15, 3], 'strided'), 'channels_last');
  assert.equal(layoutKind([5, 5], [], 'sparse_coo'), 'sparse_coo');
  assert.equal(layoutKind([5, 5], [], 'sparse_csr'), 'sparse_csr');
  assert.equal(layoutKind([], []), 'contiguous', '0-dim');
  assert.equal(layoutKind([0, 3], [1, 1]), 'contiguous', 'empty: torch calls it contiguous');
  assert.equal(layoutKind([3, 1], [1, 0]), 'contiguous', 'stride of a size-1 dim is ignored');
  assert.equal(layoutKind([1, 3, 1, 1], [3, 1, 1, 1]), 'contiguous', 'contiguous before channels_last, as torch reports');
});
