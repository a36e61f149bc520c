/**
 * The diff graph and how tensor pairs run through it. The graph takes two [k, L] matrices and gives, per row,
 * max|p−t|, Σ|p−t|, Σpt, Σp² and Σt². Many small pairs share one run as the rows of a zero-padded matrix
 * (padding is exact: |0−0| adds 0 to every sum and max|p−t| ≥ 0); a pair bigger than a chunk runs as one row
 * per chunk. One session serves every shape.
 */
import type { TensorInfo } from '../core/model';
import { readDense } from '../core/values';
import { errorMessage } from '../core/errors';
import type { Skipped } from '../core/viewWork';
import { isSkipped } from '../core/viewWork';
import { toFloat32 } from './dense';
import { GraphBuilder } from './graph';
import type { ProviderChoice } from './providers';
import type { RunInfo } from './session';
import { runGraph } from './session';

/** Partial sums of one pair (or one chunk of it). */
export interface PairSums {
  mad: number;
  sad: number;
  spt: number;
  spp: number;
  stt: number;
}

/** One row of a run: a pair's elements, or one chunk of them. */
export interface RowPair {
  p: Float32Array;
  t: Float32Array;
}

/** Called with every graph run's info, in the order the runs happened. */
export type RunTally = (info: RunInfo) => void;

const OUTPUTS = ['mad', 'sad', 'spt', 'spp', 'stt'] as const;

function buildDiffGraph(): Uint8Array {
  const g = new GraphBuilder();
  const p = g.input('p', 'float32', ['k', 'n']);
  const t = g.input('t', 'float32', ['k', 'n']);
  const axes = g.int64s([1]);
  const ad = g.node('Abs', [g.node('Sub', [p, t])]);
  g.node('ReduceMax', [ad], { axes: [1], keepdims: 0 }, ['mad']);
  g.node('ReduceSum', [ad, axes], { keepdims: 0 }, ['sad']);
  g.node('ReduceSum', [g.node('Mul', [p, t]), axes], { keepdims: 0 }, ['spt']);
  g.node('ReduceSum', [g.node('Mul', [p, p]), axes], { keepdims: 0 }, ['spp']);
  g.node('ReduceSum', [g.node('Mul', [t, t]), axes], { keepdims: 0 }, ['stt']);
  for (const o of OUTPUTS) g.output(o, 'float32', ['k']);
  return g.encode('diff');
}

/** The sums of each of the k rows of two [k, width] matrices (row-major), in order, from one graph run. */
export async function runMatrix(p: Float32Array, t: Float32Array, k: number, width: number, providers: ProviderChoice): Promise<{ sums: PairSums[]; info: RunInfo }> {
  const { outputs, info } = await runGraph({
    key: 'diff', build: buildDiffGraph, providers,
    feeds: { p: { dtype: 'float32', shape: [k, width], data: p }, t: { dtype: 'float32', shape: [k, width], data: t } },
  });
  const [mad, sad, spt, spp, stt] = OUTPUTS.map((o) => outputs[o].data as Float32Array);
  const sums: PairSums[] = [];
  for (let i = 0; i < k; i++) {
    // a NaN difference makes Σ|p−t| NaN; torch's max says NaN too, whatever the provider's ReduceMax does
    sums.push({ mad: Number.isNaN(sad[i]) ? NaN : mad[i], sad: sad[i], spt: spt[i], spp: spp[i], stt: stt[i] });
  }
  return { sums, info };
}

/** The sums of each row, in order, from one run: the rows zero padded to the longest (no copy for one row). */
export async function runRows(rows: readonly RowPair[], providers: ProviderChoice): Promise<{ sums: PairSums[]; info: RunInfo }> {
  if (rows.length === 1) return runMatrix(rows[0].p, rows[0].t, 1, rows[0].p.length, providers);
  let width = 0;
  for (const r of rows) width = Math.max(width, r.p.length);
  const p = new Float32Array(rows.length * width);
  const t = new Float32Array(rows.length * width);
  rows.forEach((r, i) => { p.set(r.p, i * width); t.set(r.t, i * width); });
  return runMatrix(p, t, rows.length, width, providers);
}

/** Both tensors' values as float32; an unreadable tensor skips its pair (unless the work was cancelled). */
async function readPair(a: TensorInfo, b: TensorInfo, signal?: AbortSignal): Promise<RowPair | Skipped> {
  try {
    const p = toFloat32((await readDense(a, { signal })).data);
    const t = toFloat32((await readDense(b, { signal })).data);
    return { p, t };
  } catch (e) {
    if (signal?.aborted) throw e;
    return { skipped: errorMessage(e) };
  }
}

/** The sums of a pair of `numel` elements, one run per chunk of `chunk` elements. */
export async function chunkedSums(a: TensorInfo, b: TensorInfo, numel: number, chunk: number, providers: ProviderChoice, tally: RunTally, signal?: AbortSignal): Promise<PairSums | Skipped> {
  const pair = await readPair(a, b, signal);
  if (isSkipped(pair)) return pair;
  const acc: PairSums = { mad: 0, sad: 0, spt: 0, spp: 0, stt: 0 };
  for (let start = 0; start < numel; start += chunk) {
    const end = Math.min(numel, start + chunk);
    const { sums: [s], info } = await runRows([{ p: pair.p.subarray(start, end), t: pair.t.subarray(start, end) }], providers);
    tally(info);
    // Math.max keeps a NaN of either side
    acc.mad = Math.max(acc.mad, s.mad);
    acc.sad += s.sad; acc.spt += s.spt; acc.spp += s.spp; acc.stt += s.stt;
  }
  return acc;
}

/**
 * Runs of pairs of the given sizes (each ≤ chunk): indices grouped by size, smallest first, each group's sizes
 * within a factor of 2 of its smallest (little padding) and rows × longest ≤ chunk.
 */
export function planBatches(numels: readonly number[], chunk: number): number[][] {
  const order = numels.map((_, i) => i).sort((x, y) => numels[x] - numels[y] || x - y);
  const groups: number[][] = [];
  let group: number[] = [];
  let smallest = 0;
  for (const i of order) {
    const n = numels[i];
    if (group.length && (n > 2 * smallest || (group.length + 1) * n > chunk)) { groups.push(group); group = []; }
    if (!group.length) smallest = n;
    group.push(i);
  }
  if (group.length) groups.push(group);
  return groups;
}

/** Reads in flight at once: a small tensor's read is mostly a wait on the file system, so they overlap well. */
const READS_IN_FLIGHT = 16;

/**
 * Reads each pair into its row of two zero-filled [pairs, width] matrices, a few reads at a time; each read's own
 * arrays are dropped at once, so a batch of 65k tiny tensors leaves two matrices, not 130k arrays, for the GC.
 * Returns, per pair, why it was not read, or null.
 */
async function readRows(pairs: readonly { a: TensorInfo; b: TensorInfo }[], p: Float32Array, t: Float32Array, width: number, signal?: AbortSignal): Promise<(Skipped | null)[]> {
  const out: (Skipped | null)[] = new Array(pairs.length).fill(null);
  let next = 0;
  const lane = async () => {
    while (next < pairs.length) {
      const i = next++;
      const pair = await readPair(pairs[i].a, pairs[i].b, signal);
      if (isSkipped(pair)) { out[i] = pair; continue; }
      p.set(pair.p, i * width);
      t.set(pair.t, i * width);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, pairs.length) }, lane));
  return out;
}

interface Waiting {
  a: TensorInfo;
  b: TensorInfo;
  numel: number;
  done: (v: PairSums | Skipped) => void;
}

/**
 * Pairs of at most `batchElements` elements, collected and then run together: `add` gives a promise that `flush`
 * settles, reading each batch's tensors just before its run, so only one batch's values are in memory.
 */
export class PairBatches {
  private waiting: Waiting[] = [];

  constructor(readonly batchElements: number, private readonly providers: ProviderChoice, private readonly tally: RunTally, private readonly signal?: AbortSignal) {}

  get size(): number {
    return this.waiting.length;
  }

  add(a: TensorInfo, b: TensorInfo, numel: number): Promise<PairSums | Skipped> {
    return new Promise((done) => { this.waiting.push({ a, b, numel, done }); });
  }

  /** Runs every pair added so far; throws when a provider fails (the pairs of that batch then stay unsettled). */
  async flush(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = [];
    for (const group of planBatches(waiting.map((w) => w.numel), this.batchElements)) {
      const members = group.map((i) => waiting[i]);
      // sizes ascend within a group: the last is the longest
      const width = members[members.length - 1].numel;
      const p = new Float32Array(members.length * width);
      const t = new Float32Array(members.length * width);
      const skipped = await readRows(members, p, t, width, this.signal);
      // a skipped pair's row stays zeros: it runs but its sums are not used
      if (skipped.every((s) => s !== null)) { members.forEach((w, j) => w.done(skipped[j] as Skipped)); continue; }
      const { sums, info } = await runMatrix(p, t, members.length, width, this.providers);
      this.tally(info);
      members.forEach((w, j) => w.done(skipped[j] ?? sums[j]));
    }
  }
}
