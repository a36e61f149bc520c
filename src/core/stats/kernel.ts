/**
 * The statistics kernel: one pass over decoded blocks, mergeable partial results.
 *
 *   newAccum()                    empty partial result (plain data: crosses worker boundaries by structured clone)
 *   accumulate(acc, values)       add a block of Float32Array / Float64Array values
 *   mergeAccum(into, other)       combine partial results (Chan et al.)
 *   finishAccum(acc, count)       → TensorStats (min/max/mean/sample std over finite values, 64-bin histogram)
 *
 * Mean / variance: per block a two-pass mean and M2 over the block (in cache), merged across blocks with
 * Chan's parallel formula, so large or offset data stay accurate. Histogram: tensors up to KEEP_MAX values are
 * kept and binned exactly at the end. Larger ones count values into 65,536 fine buckets spanning the first
 * block's range widened by half of it on each side (values outside: a fallback keyed by the top 16 bits of their
 * float32 pattern), and the fine buckets are rebinned into the 64 final bins once min and max are known — off
 * from exact binning by at most one fine bucket's width at each bin edge.
 *
 * The per-dtype loops (scanF32/scanF64, fusedF32/fusedF64) are the same code on purpose, kept separate for
 * speed: each sees one typed-array kind, so V8 compiles it monomorphic (one shared function taking
 * Float32Array | Float64Array turns polymorphic and runs the hot loop markedly slower). Change them together.
 */
import type { TensorStats } from '../model';

export const HISTOGRAM_BINS = 64;
const FINE_BUCKETS = 65536;
/** values kept for an exact histogram before switching to fine buckets */
export const KEEP_MAX = 1 << 16;

export interface Accum {
  /** finite values */
  n: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  nan: number;
  inf: number;
  zeros: number;
  /** kept finite values (exact histogram), or null once fine buckets are in use */
  keep: Float64Array[] | null;
  keepCount: number;
  /** fine buckets over fixed ranges (one per accumulator that was merged in) */
  ranged: RangedHist[];
  /** fallback buckets for values outside the ranges, keyed by float32 bits >>> 16 (allocated on first use) */
  fine: Float64Array | null;
}

export interface RangedHist {
  lo: number;
  /** buckets per unit */
  scale: number;
  counts: Float64Array;
}

export function newAccum(fine = false): Accum {
  return {
    n: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity, nan: 0, inf: 0, zeros: 0,
    keep: fine ? null : [], keepCount: 0, ranged: [], fine: null,
  };
}

/** Fine-bucket range for a block whose finite values span [min, max]. */
function rangedFor(min: number, max: number): RangedHist {
  let span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) span = Math.max(Math.abs(min) * 1e-3, 1e-30);
  let lo = min - span / 2;
  let scale = FINE_BUCKETS / (span * 2);
  if (!Number.isFinite(scale) || !Number.isFinite(lo)) { lo = min; scale = 0; }
  return { lo, scale, counts: new Float64Array(FINE_BUCKETS) };
}

function fallback(acc: Accum, v: number): void {
  const fine = acc.fine ?? (acc.fine = new Float64Array(FINE_BUCKETS));
  scratchF32[0] = v;
  fine[scratchU32[0] >>> 16]++;
}

/** Most fixed ranges one accumulator opens for drifting data (each 512 KiB). */
const MAX_RANGES = 16;

/**
 * Many values of a block fell outside the current range (drifting or sorted data): open a new range over
 * [min, max] (widened), move the block's outside values from the fallback buckets into it, and make it current.
 */
function rerange(acc: Accum, x: Float32Array | Float64Array, min: number, max: number): void {
  const old = acc.ranged[0];
  const r = rangedFor(min, max);
  const fine = acc.fine as Float64Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const f = (v - old.lo) * old.scale;
    if (f >= 0 && f < FINE_BUCKETS) continue;
    if (v - v !== 0) continue;
    const g = (v - r.lo) * r.scale;
    if (g >= 0 && g < FINE_BUCKETS) {
      r.counts[g | 0]++;
      scratchF32[0] = v;
      fine[scratchU32[0] >>> 16]--;
    }
  }
  acc.ranged.unshift(r);
}

/** Count a block's finite values into the accumulator's (first) fixed-range buckets. */
function histBlock(acc: Accum, x: Float32Array | Float64Array, blockMin: number, blockMax: number): void {
  if (!(blockMin <= blockMax)) return;
  if (acc.ranged.length === 0) acc.ranged.push(rangedFor(blockMin, blockMax));
  const r = acc.ranged[0];
  const counts = r.counts;
  const lo = r.lo;
  const scale = r.scale;
  const top = FINE_BUCKETS;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const f = (v - lo) * scale;
    if (f >= 0 && f < top) counts[f | 0]++;
    else if (v - v === 0) fallback(acc, v);
  }
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Leave exact mode: count the kept values into fine buckets. */
function toFine(acc: Accum): void {
  if (!acc.keep) return;
  const kept = acc.keep;
  acc.keep = null;
  acc.keepCount = 0;
  for (const part of kept) histBlock(acc, part, acc.min, acc.max);
}

/** One block: min/max/sum/counts, then M2 (and fine histogram buckets unless values are kept). */
function scanF32(acc: Accum, x: Float32Array): void {
  if (!acc.keep && acc.n > 0 && acc.ranged.length > 0) {
    fusedF32(acc, x);
    return;
  }
  const len = x.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let cnt = 0;
  let bad = 0;
  let nan = 0;
  let zeros = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v - v !== 0) { bad++; if (v !== v) nan++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    cnt++;
    if (v === 0) zeros++;
  }
  let m2 = 0;
  const mb = cnt > 0 ? sum / cnt : 0;
  if (acc.keep || cnt === 0) {
    for (let i = 0; i < len; i++) { const v = x[i]; if (v - v === 0) { const d = v - mb; m2 += d * d; } }
  } else {
    // second pass (the block is in cache): M2 and the fine histogram together
    if (acc.ranged.length === 0) acc.ranged.push(rangedFor(min, max));
    const r = acc.ranged[0];
    const counts = r.counts;
    const lo = r.lo;
    const scale = r.scale;
    for (let i = 0; i < len; i++) {
      const v = x[i];
      const f = (v - lo) * scale;
      if (f >= 0 && f < FINE_BUCKETS) {
        counts[f | 0]++;
        const d = v - mb;
        m2 += d * d;
      } else if (v - v === 0) {
        fallback(acc, v);
        const d = v - mb;
        m2 += d * d;
      }
    }
  }
  mergeParts(acc, cnt, mb, m2, min, max, nan, bad - nan, zeros);
}

/** scanF32 for Float64Array blocks: a copy on purpose, for a monomorphic hot loop (see the header). */
function scanF64(acc: Accum, x: Float64Array): void {
  if (!acc.keep && acc.n > 0 && acc.ranged.length > 0) {
    fusedF64(acc, x);
    return;
  }
  const len = x.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let cnt = 0;
  let bad = 0;
  let nan = 0;
  let zeros = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    if (v - v !== 0) { bad++; if (v !== v) nan++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    cnt++;
    if (v === 0) zeros++;
  }
  let m2 = 0;
  const mb = cnt > 0 ? sum / cnt : 0;
  if (acc.keep || cnt === 0) {
    for (let i = 0; i < len; i++) { const v = x[i]; if (v - v === 0) { const d = v - mb; m2 += d * d; } }
  } else {
    // second pass (the block is in cache): M2 and the fine histogram together
    if (acc.ranged.length === 0) acc.ranged.push(rangedFor(min, max));
    const r = acc.ranged[0];
    const counts = r.counts;
    const lo = r.lo;
    const scale = r.scale;
    for (let i = 0; i < len; i++) {
      const v = x[i];
      const f = (v - lo) * scale;
      if (f >= 0 && f < FINE_BUCKETS) {
        counts[f | 0]++;
        const d = v - mb;
        m2 += d * d;
      } else if (v - v === 0) {
        fallback(acc, v);
        const d = v - mb;
        m2 += d * d;
      }
    }
  }
  mergeParts(acc, cnt, mb, m2, min, max, nan, bad - nan, zeros);
}

/**
 * Later blocks in one pass: histogram, min/max, counts, and sums of (v - K) and (v - K)^2 shifted by the mean
 * so far (K), from which the block's M2 follows without cancellation trouble (K is near the block's mean).
 */
function fusedF32(acc: Accum, x: Float32Array): void {
  const len = x.length;
  let out = 0;
  const r = acc.ranged[0];
  const counts = r.counts;
  const lo = r.lo;
  const scale = r.scale;
  const k = acc.mean;
  let min = Infinity;
  let max = -Infinity;
  let s1 = 0;
  let s2 = 0;
  let cnt = 0;
  let bad = 0;
  let nan = 0;
  let zeros = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    const f = (v - lo) * scale;
    if (f >= 0 && f < FINE_BUCKETS) counts[f | 0]++;
    else if (v - v !== 0) { bad++; if (v !== v) nan++; continue; }
    else { fallback(acc, v); out++; }
    if (v < min) min = v;
    if (v > max) max = v;
    const d = v - k;
    s1 += d;
    s2 += d * d;
    cnt++;
    if (v === 0) zeros++;
  }
  if (out > len >>> 6 && acc.ranged.length < MAX_RANGES) rerange(acc, x, Math.min(min, acc.min), Math.max(max, acc.max));
  const mb = cnt > 0 ? k + s1 / cnt : 0;
  const m2 = cnt > 0 ? Math.max(0, s2 - (s1 * s1) / cnt) : 0;
  mergeParts(acc, cnt, mb, m2, min, max, nan, bad - nan, zeros);
}

/** fusedF32 for Float64Array blocks: a copy on purpose, for a monomorphic hot loop (see the header). */
function fusedF64(acc: Accum, x: Float64Array): void {
  const len = x.length;
  let out = 0;
  const r = acc.ranged[0];
  const counts = r.counts;
  const lo = r.lo;
  const scale = r.scale;
  const k = acc.mean;
  let min = Infinity;
  let max = -Infinity;
  let s1 = 0;
  let s2 = 0;
  let cnt = 0;
  let bad = 0;
  let nan = 0;
  let zeros = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    const f = (v - lo) * scale;
    if (f >= 0 && f < FINE_BUCKETS) counts[f | 0]++;
    else if (v - v !== 0) { bad++; if (v !== v) nan++; continue; }
    else { fallback(acc, v); out++; }
    if (v < min) min = v;
    if (v > max) max = v;
    const d = v - k;
    s1 += d;
    s2 += d * d;
    cnt++;
    if (v === 0) zeros++;
  }
  if (out > len >>> 6 && acc.ranged.length < MAX_RANGES) rerange(acc, x, Math.min(min, acc.min), Math.max(max, acc.max));
  const mb = cnt > 0 ? k + s1 / cnt : 0;
  const m2 = cnt > 0 ? Math.max(0, s2 - (s1 * s1) / cnt) : 0;
  mergeParts(acc, cnt, mb, m2, min, max, nan, bad - nan, zeros);
}

function mergeParts(acc: Accum, n: number, mean: number, m2: number, min: number, max: number, nan: number, inf: number, zeros: number): void {
  acc.nan += nan;
  acc.inf += inf;
  acc.zeros += zeros;
  if (n === 0) return;
  if (min < acc.min) acc.min = min;
  if (max > acc.max) acc.max = max;
  if (acc.n === 0) {
    acc.n = n;
    acc.mean = mean;
    acc.m2 = m2;
    return;
  }
  const total = acc.n + n;
  const delta = mean - acc.mean;
  acc.mean += (delta * n) / total;
  acc.m2 += m2 + (delta * delta * acc.n * n) / total;
  acc.n = total;
}

/** Add a block of values. Float32Array blocks must be 4-byte aligned (typed arrays always are). */
export function accumulate(acc: Accum, values: Float32Array | Float64Array): void {
  if (values.length === 0) return;
  if (acc.keep && acc.keepCount + values.length > KEEP_MAX) toFine(acc);
  if (values instanceof Float32Array) scanF32(acc, values);
  else scanF64(acc, values);
  if (acc.keep) {
    acc.keep.push(Float64Array.from(values));
    acc.keepCount += values.length;
  }
}

export function mergeAccum(into: Accum, other: Accum): void {
  if (into.keep && other.keep && into.keepCount + other.keepCount <= KEEP_MAX) {
    into.keep.push(...other.keep);
    into.keepCount += other.keepCount;
    mergeParts(into, other.n, other.mean, other.m2, other.min, other.max, other.nan, other.inf, other.zeros);
    return;
  }
  mergeParts(into, other.n, other.mean, other.m2, other.min, other.max, other.nan, other.inf, other.zeros);
  toFine(into);
  if (other.keep) for (const part of other.keep) histBlock(into, part, other.min, other.max);
  into.ranged.push(...other.ranged);
  if (other.fine) {
    const fine = into.fine ?? (into.fine = new Float64Array(FINE_BUCKETS));
    for (let i = 0; i < FINE_BUCKETS; i++) fine[i] += other.fine[i];
  }
}

function binOf(v: number, min: number, scale: number): number {
  const b = Math.floor((v - min) * scale);
  return b < 0 ? 0 : b >= HISTOGRAM_BINS ? HISTOGRAM_BINS - 1 : b;
}

function histogram(acc: Accum): TensorStats['histogram'] {
  if (acc.n === 0) return null;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const { min, max } = acc;
  const scale = max > min ? HISTOGRAM_BINS / (max - min) : 0;
  if (acc.keep) {
    for (const part of acc.keep) {
      for (let i = 0; i < part.length; i++) {
        const v = part[i];
        if (v - v === 0) counts[binOf(v, min, scale)]++;
      }
    }
  } else {
    for (const r of acc.ranged) {
      const c = r.counts;
      for (let i = 0; i < c.length; i++) {
        if (c[i] === 0) continue;
        let v = r.scale > 0 ? r.lo + (i + 0.5) / r.scale : r.lo;
        if (v < min) v = min;
        else if (v > max) v = max;
        counts[binOf(v, min, scale)] += c[i];
      }
    }
  }
  if (acc.fine) {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const fine = acc.fine;
    for (let key = 0; key < FINE_BUCKETS; key++) {
      const c = fine[key];
      if (c === 0) continue;
      u[0] = key << 16;
      let v = f[0];
      if (v < min) v = min;
      else if (v > max) v = max;
      counts[binOf(v, min, scale)] += c;
    }
  }
  return { min, max, counts };
}

/** Final statistics; `count` is the number of elements (finite or not). */
export function finishAccum(acc: Accum, count: number): TensorStats {
  const has = acc.n > 0;
  return {
    count,
    min: has ? acc.min : null,
    max: has ? acc.max : null,
    mean: has ? acc.mean : null,
    std: has ? (acc.n > 1 ? Math.sqrt(acc.m2 / (acc.n - 1)) : 0) : null,
    nan: acc.nan,
    inf: acc.inf,
    zeros: acc.zeros,
    histogram: histogram(acc),
  };
}
