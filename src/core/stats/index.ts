/**
 * Tensor statistics over a tensor's own elements, one pass, in worker threads for big tensors.
 *
 *   computeStats(tensor, {signal, onProgress, workers})  → TensorStats
 *   computeStatsMany(tensors, {concurrency, …})          → TensorStats per tensor (errors per tensor); identical
 *                                                          views once, the reading bounded (../viewWork.ts)
 *   statsJson(stats, dtype)                              → the CLI / truth.json shape, null where torch has none
 *
 * Finite values only for min/max/mean/std; std is the sample standard deviation (as torch.std; 0 for a single
 * value); NaN / ±Inf / zero counts; a 64-bin histogram. fp16/bf16/fp8 decoded; 64-bit ints converted to
 * float64; bool as 0/1; quantized tensors dequantized with their scale / zero point; complex and other
 * dtypes without a real value give null statistics (count only).
 */
import type { ByteSource, TensorInfo, TensorStats } from '../model';
import { UnreadableError } from '../model';
import { dtypeInfo } from '../dtype';
import { hasNumericValues } from '../decode';
import { rawBlocks, sourceOf, tensorNumel } from '../elements';
import { accumulate, finishAccum, newAccum, type Accum } from './kernel';
import { numericBlock, type StatsJob } from './block';
import { StatsPool, WorkerFailure } from './pool';
import { ViewWork, isSkipped, viewWithinSource } from '../viewWork';

export { StatsPool } from './pool';

export interface StatsOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** use worker threads for big tensors (default: when the bundled worker script is present) */
  workers?: boolean;
}

/** Tensors with at least this many elements are split over the worker pool. */
export const PARALLEL_MIN_ELEMENTS = 1 << 18;
/** elements per block sent to a worker */
const WORKER_BLOCK_ELEMENTS = 1 << 18;
const INLINE_BLOCK_ELEMENTS = 1 << 20;

export function emptyStats(count: number): TensorStats {
  return { count, min: null, max: null, mean: null, std: null, nan: 0, inf: 0, zeros: 0, histogram: null };
}

/**
 * Broadcast (stride-0) dimensions repeat the same elements: statistics of the view are those of the tensor
 * without them, every count multiplied — so a hostile `expand` to 10^15 elements costs nothing.
 */
function withoutBroadcastDims(tensor: TensorInfo): { reduced: TensorInfo; multiplicity: number } {
  if (tensor.layout !== 'strided' || !tensor.stride.some((s, d) => s === 0 && tensor.shape[d] > 1)) return { reduced: tensor, multiplicity: 1 };
  let multiplicity = 1;
  const shape: number[] = [];
  const stride: number[] = [];
  tensor.shape.forEach((n, d) => {
    if (tensor.stride[d] === 0) multiplicity *= n;
    else { shape.push(n); stride.push(tensor.stride[d]); }
  });
  return { reduced: { ...tensor, shape, stride, contiguous: false, quant: tensor.quant?.scales ? undefined : tensor.quant }, multiplicity };
}

function scaled(s: TensorStats, m: number, count: number): TensorStats {
  if (m === 1) return s;
  const n = s.count - s.nan - s.inf; // finite values of the reduced tensor
  let std = s.std;
  if (std !== null) {
    const m2 = std * std * Math.max(0, n - 1);
    std = n * m > 1 ? Math.sqrt((m2 * m) / (n * m - 1)) : 0;
  }
  return {
    ...s, count, std, nan: s.nan * m, inf: s.inf * m, zeros: s.zeros * m,
    histogram: s.histogram ? { ...s.histogram, counts: s.histogram.counts.map((c) => c * m) } : null,
  };
}

/** A view may touch each stored element many times (overlapping strides); beyond this factor it is refused. */
const MAX_OVERLAP = 64;

/**
 * Statistics under way per view: a second name for the same view of the same bytes (300k names for one
 * storage) waits for the first instead of reading again. Only while running: results are the caller's to
 * keep (ViewWork in ../viewWork.ts keeps those of shared storages), so a million tensors hold nothing here.
 */
const running = new Map<ByteSource, Map<string, Promise<TensorStats>>>();

export function computeStats(tensor: TensorInfo, options: StatsOptions = {}): Promise<TensorStats> {
  const source = tensor.storage?.source;
  // an explicit choice of workers or inline is a request to compute (tests compare the two)
  if (!source || tensor.layout !== 'strided' || options.workers !== undefined) return computeStatsOnce(tensor, options);
  // keyed by the source object first: no identity text or number is made for a tensor computed alone
  let views = running.get(source);
  const key = viewWithinSource(tensor);
  const other = views?.get(key);
  if (other) {
    // when that run was cancelled by its own caller, this one computes for itself
    return other.then(
      (r) => {
        options.onProgress?.(r.count, r.count);
        if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new UnreadableError('cancelled');
        return r;
      },
      () => computeStatsOnce(tensor, options),
    );
  }
  const p = computeStatsOnce(tensor, options);
  if (!views) { views = new Map(); running.set(source, views); }
  const mine = views;
  mine.set(key, p);
  const done = (): void => {
    mine.delete(key);
    if (mine.size === 0 && running.get(source) === mine) running.delete(source);
  };
  p.then(done, done);
  return p;
}

async function computeStatsOnce(tensor: TensorInfo, options: StatsOptions = {}): Promise<TensorStats> {
  const numel = tensorNumel(tensor);
  sourceOf(tensor); // throws a clean UnreadableError where there are no bytes
  if (!hasNumericValues(tensor.dtype) || numel === 0) {
    options.onProgress?.(numel, numel);
    return emptyStats(numel);
  }
  const { reduced, multiplicity } = withoutBroadcastDims(tensor);
  if (multiplicity > 1 && !tensor.quant?.scales) {
    const onProgress = options.onProgress ? (done: number) => options.onProgress?.(done * multiplicity, numel) : undefined;
    return scaled(await computeStatsOnce(reduced, { ...options, onProgress }), multiplicity, numel);
  }
  const stored = Math.max(1, Math.floor((tensor.storage?.bytes ?? 0) / Math.max(1, dtypeInfo(tensor.dtype).itemSize)));
  if (numel > 2 ** 31 && numel > MAX_OVERLAP * stored) {
    throw new UnreadableError(`a view of ${numel} elements over a storage of ${stored} (overlapping strides); statistics refused`, tensor.name || 'tensor');
  }
  const job: StatsJob = {
    dtype: tensor.dtype,
    byteOrder: tensor.storage?.byteOrder ?? 'little',
    shape: tensor.shape,
    quant: tensor.quant,
  };
  let done = 0;
  const progress = (count: number) => {
    done += count;
    options.onProgress?.(done, numel);
  };
  const pool = options.workers === false || numel < PARALLEL_MIN_ELEMENTS ? null : StatsPool.shared();
  let acc: Accum | undefined;
  if (pool) {
    const blocks = rawBlocks(tensor, { blockElements: WORKER_BLOCK_ELEMENTS, signal: options.signal });
    try {
      acc = await pool.run(job, blocks, { signal: options.signal, onBlock: progress });
    } catch (err) {
      if (!(err instanceof WorkerFailure)) throw err;
      StatsPool.disable(); // workers unusable here: compute inline from now on
      done = 0;
    }
  }
  if (!acc) {
    acc = newAccum();
    for await (const block of rawBlocks(tensor, { blockElements: INLINE_BLOCK_ELEMENTS, signal: options.signal })) {
      const values = numericBlock(job, block.bytes, block.first);
      if (values) accumulate(acc, values);
      progress(block.count);
    }
  }
  return finishAccum(acc, numel);
}

export interface ManyOptions extends StatsOptions {
  /** tensors computed at once (default 4) */
  concurrency?: number;
  /** identical views computed once, the reading bounded (default: a bound over `tensors`) */
  work?: ViewWork;
}

/** Statistics for many tensors, a few at a time; a tensor that fails gets its Error instead. */
export async function computeStatsMany(tensors: TensorInfo[], options: ManyOptions = {}): Promise<Array<TensorStats | Error>> {
  const out = new Array<TensorStats | Error>(tensors.length);
  let next = 0;
  const lanes = Math.max(1, options.concurrency ?? 4);
  const work = options.work ?? new ViewWork(tensors);
  // progress over all tensors together, in elements
  const total = tensors.reduce((a, t) => a + tensorNumel(t), 0);
  let doneBefore = 0;
  const lane = async () => {
    while (next < tensors.length) {
      const i = next++;
      let seen = 0;
      const onProgress = options.onProgress
        ? (done: number) => { doneBefore += done - seen; seen = done; options.onProgress?.(doneBefore, total); }
        : undefined;
      try {
        const r = await work.run([tensors[i]], () => computeStats(tensors[i], { signal: options.signal, workers: options.workers, onProgress }));
        out[i] = isSkipped(r) ? new Error(r.skipped) : r;
        // a result reused from another name for the view reported no progress of its own
        if (!isSkipped(r)) onProgress?.(tensorNumel(tensors[i]));
      } catch (err) {
        if (options.signal?.aborted) throw err;
        out[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}

/** The JSON form used by `inspect --json --stats` and truth.json: null where torch gives none (complex, empty). */
export function statsJson(stats: TensorStats, dtype: TensorInfo['dtype']): null | { min: number | null; max: number | null; mean: number | null; std: number | null; nan: number; inf: number; zeros: number; count: number; histogram: TensorStats['histogram'] } {
  if (stats.count === 0 || !hasNumericValues(dtype)) return null;
  return { min: stats.min, max: stats.max, mean: stats.mean, std: stats.std, nan: stats.nan, inf: stats.inf, zeros: stats.zeros, count: stats.count, histogram: stats.histogram };
}
