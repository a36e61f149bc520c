import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainStrides, tryView } from '../../src/shared/explain';
import { narrowShape, suggestSlice } from '../../src/extension/inspectorController';

test('contiguous tensors: verdict and a working flat view', () => {
  const e = explainStrides([2, 3, 4], [12, 4, 1], 0, 24);
  assert.equal(e.verdict, 'contiguous');
  assert.equal(e.flatViewWorks, true);
  assert.deepEqual(e.contiguousStride, [12, 4, 1]);
  assert.ok(e.notes.some((n) => n.includes('.view(-1)` works')));
});

test('a transposed matrix names the swapped dims and refuses .view(-1)', () => {
  const e = explainStrides([12, 10], [1, 12], 0, 120);
  assert.equal(e.verdict, 'transposed / permuted');
  assert.equal(e.flatViewWorks, false);
  assert.deepEqual(e.permutation, [1, 0]);
  assert.ok(e.notes.some((n) => n.includes('dimensions 1 and 0 are transposed') || n.includes('dimensions 0 and 1 are transposed')), e.notes.join('\n'));
  assert.ok(e.notes.some((n) => n.includes('.reshape(-1)')));
});

test('a 3-d permute, channels_last, broadcast and stepped slices', () => {
  const p = explainStrides([4, 2, 3], [1, 12, 4], 0, 24); // permute(2, 0, 1) of (2, 3, 4)
  assert.ok(p.notes.some((n) => n.includes('.permute(')), p.notes.join('\n'));
  const cl = explainStrides([2, 3, 4, 5], [60, 1, 15, 3], 0, 120);
  assert.equal(cl.verdict, 'channels_last');
  const ex = explainStrides([3, 4], [0, 1], 0, 4);
  assert.equal(ex.verdict, 'expanded (broadcast)');
  assert.ok(ex.notes.some((n) => n.includes('stride 0')));
  const step = explainStrides([4, 5], [20, 2], 0, 80); // x[:, ::2] of (4, 10)
  assert.equal(step.verdict, 'non-contiguous');
  assert.ok(step.notes.some((n) => n.includes('skip')), step.notes.join('\n'));
  const narrow = explainStrides([3, 2], [4, 1], 5, 16);
  assert.ok(narrow.notes.some((n) => n.includes('Starts at element 5')));
  assert.deepEqual(narrow.extent, { first: 5, last: 14 });
  assert.ok(narrow.notes.some((n) => n.includes('Touches storage elements 5…14 of 16')));
});

test('sparse tensors have no stride explanation', () => {
  const e = explainStrides([10, 10], [], 0, null, 'sparse_coo');
  assert.equal(e.flatViewWorks, null);
});

test('.view(shape) follows torch: -1 inferred, merges only where strides allow', () => {
  assert.deepEqual(tryView([2, 3, 4], [12, 4, 1], [6, -1]), { ok: true, stride: [4, 1] });
  assert.deepEqual(tryView([12, 10], [1, 12], [-1]).ok, false);
  assert.deepEqual(tryView([12, 10], [1, 12], [12, 10, 1]).ok, true); // adding a size-1 dim is fine
  assert.deepEqual(tryView([4, 6], [6, 1], [5, -1]), { ok: false, reason: "shape '[5, -1]' is invalid for input of size 24" });
  assert.equal(tryView([4, 6], [6, 1], [-1, -1]).ok, false);
});

test('slices are bounded for display, and a 2D slice is suggested', () => {
  assert.deepEqual(narrowShape([10, 10], 16384), [10, 10]);
  assert.deepEqual(narrowShape([1000, 1000], 16384), [64, 256]);
  assert.deepEqual(narrowShape([8, 512, 512], 16384), [1, 64, 256]);
  assert.deepEqual(narrowShape([100000], 4096), [4096]);
  assert.ok(narrowShape([300, 300], 16384).reduce((a, b) => a * b) <= 16384);
  assert.equal(suggestSlice([64, 3, 7, 7]), '[0, 0, :, :]');
  // a 1×1 conv weight: the two large dimensions, not one element
  assert.equal(suggestSlice([128, 64, 1, 1]), '[:, :, 0, 0]');
  assert.equal(suggestSlice([32, 512, 2, 2]), '[:, :, 0, 0]');
  assert.equal(suggestSlice([1, 3, 224, 224]), '[0, 0, :, :]');
  assert.equal(suggestSlice([5, 1, 4]), '[:, 0, :]');
  assert.equal(suggestSlice([5, 4]), '[:, :]');
  assert.equal(suggestSlice([]), '[]');
});

test('contiguous with other strides in size-1 dimensions: said why, not flagged', () => {
  // a (128, 64, 1, 1) conv weight in channels_last: strides (64, 1, 64, 64), contiguous as torch says
  const e = explainStrides([128, 64, 1, 1], [64, 1, 64, 64], 0, 128 * 64);
  assert.equal(e.verdict, 'contiguous');
  assert.deepEqual(e.contiguousStride, [64, 1, 1, 1]);
  assert.deepEqual(e.unusedStrideDims, [2, 3]);
  assert.match(e.notes[0], /differ from a fresh tensor's \(64, 1, 1, 1\) only in dimensions 2, 3 of size 1, whose stride is never used/);
  const plain = explainStrides([2, 3], [3, 1], 0, 6);
  assert.deepEqual(plain.unusedStrideDims, []);
  assert.match(plain.notes[0], /are those of a fresh tensor/);
});
