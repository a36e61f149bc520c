/**
 * A tensor stored as rectangular blocks (a distributed checkpoint's chunks: each rank saved its shard),
 * read as one row-major tensor.
 *
 *   blockCoverProblem(shape, blocks)        why the blocks do not tile the tensor exactly, or undefined
 *   blockChunkSource(shape, itemSize, blocks, label): ByteSource
 *                                           the tensor's row-major bytes, each read assembled from the
 *                                           blocks it crosses (every block row-major in its own sizes)
 *
 * A read is cut into runs that are contiguous both in the tensor and in one block: a whole block when it
 * spans every dimension after its first, a stretch along its last partial dimension otherwise. Nothing is
 * read before it is asked for.
 */
import type { ByteSource } from './model';
import { UnreadableError } from './model';

export interface Block {
  /** where the block starts, per dimension */
  offsets: number[];
  /** its extent, per dimension */
  sizes: number[];
  /** its bytes, row-major in `sizes` */
  source: ByteSource;
}

const product = (xs: readonly number[], from = 0): number => {
  let p = 1;
  for (let i = from; i < xs.length; i++) p *= xs[i];
  return p;
};

/** more blocks than this are not checked pairwise for overlap */
const MAX_BLOCKS = 4096;

/** Why `blocks` do not cover `shape` exactly once (out of bounds, overlapping, gaps), or undefined. */
export function blockCoverProblem(shape: readonly number[], blocks: ReadonlyArray<Pick<Block, 'offsets' | 'sizes'>>): string | undefined {
  if (blocks.length === 0) return 'no chunks';
  if (blocks.length > MAX_BLOCKS) return `${blocks.length} chunks (more than ${MAX_BLOCKS})`;
  let total = 0;
  for (const b of blocks) {
    if (b.offsets.length !== shape.length || b.sizes.length !== shape.length) return 'a chunk of another rank';
    for (let d = 0; d < shape.length; d++) {
      if (!(b.offsets[d] >= 0 && b.sizes[d] >= 0 && b.offsets[d] + b.sizes[d] <= shape[d])) return 'a chunk outside the tensor';
    }
    total += product(b.sizes);
  }
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i]; const b = blocks[j];
      let overlap = product(a.sizes) > 0 && product(b.sizes) > 0;
      for (let d = 0; d < shape.length && overlap; d++) {
        if (a.offsets[d] + a.sizes[d] <= b.offsets[d] || b.offsets[d] + b.sizes[d] <= a.offsets[d]) overlap = false;
      }
      if (overlap) return 'overlapping chunks';
    }
  }
  // disjoint blocks inside the tensor whose sizes add up to it leave no gap
  if (total !== product(shape)) return 'chunks that leave part of the tensor out';
  return undefined;
}

interface Prepared extends Block {
  /** the first dimension from which the block spans the tensor's whole extent */
  fullFrom: number;
  /** elements per step of each dimension, in the block */
  strides: number[];
}

export function blockChunkSource(shape: readonly number[], itemSize: number, blocks: readonly Block[], label: string): ByteSource {
  const problem = blockCoverProblem(shape, blocks);
  if (problem) throw new UnreadableError(`${label}: ${problem}`);
  const rank = shape.length;
  const numel = product(shape);
  const size = numel * itemSize;
  const prepared: Prepared[] = blocks.filter((b) => product(b.sizes) > 0).map((b) => {
    let fullFrom = rank;
    while (fullFrom > 0 && b.offsets[fullFrom - 1] === 0 && b.sizes[fullFrom - 1] === shape[fullFrom - 1]) fullFrom--;
    return { ...b, fullFrom, strides: b.sizes.map((_, d) => product(b.sizes, d + 1)) };
  });
  // elements per step of each dimension, in the tensor
  const strides = shape.map((_, d) => product(shape, d + 1));

  /** the block holding element `index` (row-major), with that element's multi-index */
  const locate = (index: number, at: number[]): Prepared => {
    let rest = index;
    for (let d = 0; d < rank; d++) {
      at[d] = Math.floor(rest / strides[d]);
      rest -= at[d] * strides[d];
    }
    for (const b of prepared) {
      let inside = true;
      for (let d = 0; d < rank && inside; d++) inside = at[d] >= b.offsets[d] && at[d] < b.offsets[d] + b.sizes[d];
      if (inside) return b;
    }
    throw new UnreadableError(`${label}: element ${index} is in no chunk`);
  };

  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const start = Math.max(0, Math.min(offset, size));
    const end = Math.max(start, Math.min(size, offset + Math.max(0, length)));
    const out = new Uint8Array(end - start);
    if (end === start) return out;
    // whole elements, then the requested bytes out of them
    let element = Math.floor(start / itemSize);
    const lastElement = Math.ceil(end / itemSize);
    const at = new Array<number>(rank).fill(0);
    let written = 0;
    let skip = start - element * itemSize;
    while (element < lastElement) {
      const b = locate(element, at);
      // the run: from `at` to the end of the block along its last partial dimension (dimensions after it
      // are whole in the block, so the run is contiguous in the tensor and in the block alike)
      let run: number;
      let local = 0; // the element's row-major index inside the block
      for (let d = 0; d < rank; d++) local += (at[d] - b.offsets[d]) * b.strides[d];
      if (b.fullFrom === 0) {
        run = numel - element;
      } else {
        const d = b.fullFrom - 1;
        const inner = strides[d];
        const into = element - Math.floor(element / inner) * inner; // position inside the trailing block
        run = (b.offsets[d] + b.sizes[d] - at[d]) * inner - into;
      }
      run = Math.min(run, lastElement - element);
      const bytes = await b.source.read(local * itemSize, run * itemSize);
      if (bytes.length < run * itemSize) throw new UnreadableError(`${b.source.describe()} is truncated`);
      const take = Math.min(bytes.length - skip, out.length - written);
      out.set(bytes.subarray(skip, skip + take), written);
      written += take;
      skip = 0;
      element += run;
    }
    return out;
  };

  const source: ByteSource = {
    size,
    read,
    async *chunks(offset, length, chunkSize) {
      const end = Math.min(size, offset + Math.max(0, length));
      const step = Math.max(itemSize, chunkSize - (chunkSize % itemSize));
      for (let p = Math.max(0, offset); p < end; p += step) yield await read(p, Math.min(step, end - p));
    },
    describe: () => `${label} (${blocks.length} chunks)`,
  };
  return source;
}
