/**
 * `.pt2` archives whose weights are saved both ways torch.export writes them: raw storage bytes and
 * `use_pickle` weight files (a nested torch.save archive per tensor). Made with real torch at test time
 * (test/fixtures/make_pt2_fixture.py) and read back value for value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { readDense } from '../../src/core/values';
import { torchFixture } from './formats-helpers';

interface Expected { dtype: string; shape: number[]; stride: number[]; storageOffset: number; pickled: boolean; values: number[] }

test('pickled .pt2 weights (use_pickle) are read from their nested archives, views included', async (t) => {
  const out = torchFixture(t, 'make_pt2_fixture.py', 'pt2');
  if (!out) return;
  const expectedPath = path.join(out, 'expected.json');
  const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, Expected>;
  const ck = await openCheckpoint(path.join(out, 'weights.pt2'));
  try {
    assert.equal(ck.format, 'torch-export');
    assert.deepEqual(ck.warnings, []);
    assert.deepEqual(ck.tensors.map((x) => x.name), Object.keys(expected));
    const keys = new Set<string>();
    for (const tensor of ck.tensors) {
      const want = expected[tensor.name];
      assert.equal(tensor.dtype, want.dtype, tensor.name);
      assert.deepEqual(tensor.shape, want.shape, tensor.name);
      assert.deepEqual(tensor.stride, want.stride, `${tensor.name} stride`);
      assert.equal(tensor.storageOffset, want.storageOffset, `${tensor.name} offset`);
      assert.ok(tensor.storage, `${tensor.name} has a storage`);
      keys.add(tensor.storage.key);
      const dense = await readDense(tensor);
      assert.deepEqual(Array.from(dense.data as ArrayLike<number>, Number), want.values, `${tensor.name} values`);
    }
    assert.equal(keys.size, ck.tensors.length, 'every weight file is a storage of its own');
  } finally {
    await ck.close();
  }
});
