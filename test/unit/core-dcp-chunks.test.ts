/**
 * Tensors saved in shards: blockChunkSource against row-major reference bytes (random tilings, random and
 * unaligned reads), blockCoverProblem on broken tilings, and a sharded distributed checkpoint made with
 * real torch (test/fixtures/make_dcp_fixture.py) read back value for value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blockChunkSource, blockCoverProblem, type Block } from '../../src/core/blockChunks';
import { bufferSource } from '../../src/core/byteSource';
import { openCheckpoint } from '../../src/core/open';
import { readDense } from '../../src/core/values';
import { computeStats } from '../../src/core/stats/index';
import { torchFixture } from './formats-helpers';

/** a deterministic generator (mulberry32) */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** cut [0, n) into 1–3 pieces at random */
function cuts(n: number, r: () => number): Array<[number, number]> {
  const points = new Set<number>([0, n]);
  const k = Math.floor(r() * 3);
  for (let i = 0; i < k && n > 1; i++) points.add(1 + Math.floor(r() * (n - 1)));
  const sorted = [...points].sort((a, b) => a - b);
  return sorted.slice(1).map((end, i) => [sorted[i], end - sorted[i]]);
}

/** A grid tiling of `shape` with each block's bytes cut out of `whole` (row-major, `item` bytes each). */
function tile(shape: number[], whole: Uint8Array, item: number, r: () => number): Block[] {
  const perDim = shape.map((n) => cuts(n, r));
  const blocks: Block[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const visit = (d: number, offsets: number[], sizes: number[]): void => {
    if (d === shape.length) {
      const numel = sizes.reduce((a, b) => a * b, 1);
      const bytes = new Uint8Array(numel * item);
      const at = new Array<number>(shape.length).fill(0);
      for (let i = 0; i < numel; i++) {
        let rest = i;
        let global = 0;
        for (let k = shape.length - 1; k >= 0; k--) {
          at[k] = rest % sizes[k];
          rest = Math.floor(rest / sizes[k]);
          global += (offsets[k] + at[k]) * strides[k];
        }
        bytes.set(whole.subarray(global * item, (global + 1) * item), i * item);
      }
      blocks.push({ offsets: [...offsets], sizes: [...sizes], source: bufferSource(bytes, `block ${offsets.join(',')}`) });
      return;
    }
    for (const [o, s] of perDim[d]) visit(d + 1, [...offsets, o], [...sizes, s]);
  };
  visit(0, [], []);
  // the order of chunks in a checkpoint is the savers' order, not the tensor's
  return blocks.sort(() => r() - 0.5);
}

test('blockChunkSource reads any byte range of a tiled tensor as the row-major tensor', async () => {
  const r = rng(2024);
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + Math.floor(r() * 4);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 6));
    const item = [1, 2, 4, 8][Math.floor(r() * 4)];
    const numel = shape.reduce((a, b) => a * b, 1);
    const whole = Uint8Array.from({ length: numel * item }, () => Math.floor(r() * 256));
    const blocks = tile(shape, whole, item, r);
    const src = blockChunkSource(shape, item, blocks, `trial ${trial}`);
    assert.equal(src.size, whole.length);
    assert.deepEqual([...await src.read(0, src.size)], [...whole], `trial ${trial} ${JSON.stringify(shape)} whole`);
    for (let k = 0; k < 8; k++) {
      const off = Math.floor(r() * whole.length);
      const len = Math.floor(r() * (whole.length - off + 3));
      const got = await src.read(off, len);
      assert.deepEqual([...got], [...whole.subarray(off, off + len)], `trial ${trial} ${JSON.stringify(shape)} read(${off}, ${len})`);
    }
    const streamed: number[] = [];
    for await (const c of src.chunks?.(0, src.size, 3 * item) ?? []) streamed.push(...c);
    assert.deepEqual(streamed, [...whole], `trial ${trial} chunks`);
  }
});

test('blockCoverProblem refuses overlaps, gaps, strays and chunks of another rank', () => {
  const b = (offsets: number[], sizes: number[]) => ({ offsets, sizes });
  assert.equal(blockCoverProblem([4, 4], [b([0, 0], [2, 4]), b([2, 0], [2, 4])]), undefined);
  assert.match(blockCoverProblem([4, 4], [b([0, 0], [3, 4]), b([2, 0], [2, 4])]) ?? '', /overlapping/);
  assert.match(blockCoverProblem([4, 4], [b([0, 0], [2, 4]), b([2, 0], [1, 4])]) ?? '', /leave part/);
  assert.match(blockCoverProblem([4, 4], [b([0, 0], [2, 4]), b([3, 0], [2, 4])]) ?? '', /outside/);
  assert.match(blockCoverProblem([4, 4], [b([0], [4])]) ?? '', /another rank/);
  assert.match(blockCoverProblem([4], []) ?? '', /no chunks/);
  assert.throws(() => blockChunkSource([4], 4, [], 'x'), /no chunks/);
});

test('a sharded distributed checkpoint (shards of torch tensors) reads back value for value', async (t) => {
  const out = torchFixture(t, 'make_dcp_fixture.py', 'dcp');
  if (!out) return;
  const expectedPath = path.join(out, 'expected.json');
  const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, { dtype: string; shape: number[]; chunks: number; values: number[] }>;
  const ck = await openCheckpoint(path.join(out, 'sharded'));
  try {
    assert.equal(ck.format, 'torch-dcp');
    assert.deepEqual(ck.warnings, []);
    assert.deepEqual(ck.tensors.map((x) => x.name).sort(), Object.keys(expected).sort());
    for (const tensor of ck.tensors) {
      const want = expected[tensor.name];
      assert.equal(tensor.dtype, want.dtype, tensor.name);
      assert.deepEqual(tensor.shape, want.shape, tensor.name);
      assert.ok(tensor.storage?.source, `${tensor.name} has bytes`);
      const dense = await readDense(tensor);
      assert.deepEqual(Array.from(dense.data as ArrayLike<number>, Number), want.values, `${tensor.name} values`);
      const stats = await computeStats(tensor);
      const finite = want.values;
      assert.equal(stats.count, finite.length, `${tensor.name} count`);
      assert.equal(stats.min, Math.min(...finite), `${tensor.name} min`);
      assert.equal(stats.max, Math.max(...finite), `${tensor.name} max`);
    }
  } finally {
    await ck.close();
  }
});
