/**
 * Per-tensor differences for the checkpoint diff: max_abs_diff, mae and cosine of each matched pair, from the
 * partial sums of the diff graph (diffSums.ts): small pairs batched into shared runs, big ones chunk by chunk.
 */
import type { Checkpoint, TensorInfo } from '../core/model';
import { tensorRefsContent } from '../core/model';
import type { StateDictMatch } from '../core/diff';
import { matchEntries } from '../core/diff';
import type { LeftOut, StateDictSection } from '../core/stateDict';
import { describeChoice, pickStateDict } from '../core/stateDict';
import { numelOf } from '../core/layout';
import { chunkSize } from './exec';
import type { ProviderChoice, ProviderName } from './providers';
import type { RunInfo } from './session';
import type { PairSums } from './diffSums';
import { PairBatches, chunkedSums } from './diffSums';
import type { Skipped } from '../core/viewWork';
import { ViewWork, isSkipped } from '../core/viewWork';

export interface TensorDiff {
  key: string;
  dtype: string;
  shape: number[];
  numel: number;
  max_abs_diff: number | null;
  mae: number | null;
  cosine: number | null;
  /** why values were not compared (non-numeric dtype, unreadable storage, …) */
  skipped?: string;
}

/** How one side's state dict was found in its file (a training checkpoint holds more than the model). */
export interface SideChoice {
  /** dotted key of the state dict in the file ('' = the top level) */
  key: string;
  /** true when the key was given (CLI --a-key/--b-key, the picker) rather than found */
  requested: boolean;
  /** wrapper prefix removed from every key ('' = none) */
  removed: string;
  /** tensors of the state dict */
  tensors: number;
  leftOut: LeftOut[];
  /** every key that could hold the state dict, for a picker */
  sections: StateDictSection[];
  /** the choice in words: "state dict at `state_dict` (4 tensors), prefix `model.` removed; left out: 4 optimizer state" */
  text: string;
}

/** What to compare when the automatic choice is not wanted. */
export interface SideOptions {
  /** dotted key of the state dict ('' = the top level) */
  key?: string;
  /** prefixes to remove from every key instead of detecting them ([] = none) */
  strip?: string[];
}

export interface CheckpointDiff {
  a: string;
  b: string;
  choice: { a: SideChoice; b: SideChoice };
  /** whether `load_state_dict(b, strict=True)` into a model whose state dict is a would succeed */
  strictOk: boolean;
  missing: string[];
  unexpected: string[];
  shapeMismatch: StateDictMatch<TensorInfo>['shapeMismatch'];
  dtypeMismatch: StateDictMatch<TensorInfo>['dtypeMismatch'];
  alignment: StateDictMatch<TensorInfo>['alignment'];
  tensors: TensorDiff[];
  provider: ProviderName | null;
  /** why that provider ran (the last tensor's run) */
  reason: string | null;
  sessionMs: number;
  runMs: number;
}

const NUMERIC = /^(float|bfloat|int|uint|bool)/;

export interface DiffOptions {
  chunkElements?: number;
  signal?: AbortSignal;
  a?: SideOptions;
  b?: SideOptions;
}

export async function diffCheckpoints(a: Checkpoint, b: Checkpoint, providers: ProviderChoice, opts: DiffOptions = {}): Promise<CheckpointDiff> {
  const dense = (c: Checkpoint) => c.tensors.filter((t) => t.layout === 'strided');
  // a file of tensors only: its sections are its extra members (the tensor references are never sections),
  // so its content of a reference per tensor is not made
  const sections = (c: Checkpoint) => tensorRefsContent(c) ?? c.content;
  const pa = pickStateDict(dense(a), sections(a), opts.a?.key);
  const pb = pickStateDict(dense(b), sections(b), opts.b?.key);
  const strip = opts.a?.strip || opts.b?.strip ? { a: opts.a?.strip ?? [], b: opts.b?.strip ?? [] } : {};
  const m = matchEntries(pa.entries, pb.entries, strip);
  const side = (p: typeof pa, removed: string): SideChoice => ({
    key: p.key, requested: p.requested, removed, tensors: p.entries.length, leftOut: p.leftOut, sections: p.sections,
    text: describeChoice(p, removed),
  });
  const out: CheckpointDiff = {
    a: a.path, b: b.path,
    choice: { a: side(pa, m.alignment?.a ?? ''), b: side(pb, m.alignment?.b ?? '') },
    strictOk: m.missing.length === 0 && m.unexpected.length === 0 && m.shapeMismatch.length === 0,
    missing: m.missing, unexpected: m.unexpected, shapeMismatch: m.shapeMismatch,
    dtypeMismatch: m.dtypeMismatch, alignment: m.alignment, tensors: [], provider: null, reason: null, sessionMs: 0, runMs: 0,
  };
  const chunk = chunkSize({ providers, chunkElements: opts.chunkElements });
  const tally = (info: RunInfo) => {
    out.provider = info.provider;
    out.reason = info.reason;
    out.sessionMs += info.sessionMs;
    out.runMs += info.runMs;
  };
  // identical pairs of views once, the reading bounded by the stored bytes (hostile files: 300k names, one storage)
  const work = new ViewWork(m.matched.flatMap((pair) => [pair.a, pair.b]));
  // small pairs share graph runs (300k tiny tensors: a few runs, not 300k); bigger ones run chunk by chunk
  const batches = new PairBatches(Math.min(chunk, BATCH_ELEMENTS), providers, tally, opts.signal);
  let waiting: { row: TensorDiff; sums: Promise<PairSums | Skipped> }[] = [];
  const settle = async () => {
    await batches.flush();
    for (const w of waiting) fill(w.row, await w.sums);
    waiting = [];
  };
  for (const pair of m.matched) {
    const numel = numelOf(pair.a.shape);
    const row: TensorDiff = { key: pair.key, dtype: pair.a.dtype === pair.b.dtype ? pair.a.dtype : `${pair.a.dtype}/${pair.b.dtype}`, shape: [...pair.a.shape], numel, max_abs_diff: null, mae: null, cosine: null };
    out.tensors.push(row);
    if (!NUMERIC.test(pair.a.dtype) || !NUMERIC.test(pair.b.dtype) || pair.a.quant || pair.b.quant) { row.skipped = `dtype ${row.dtype} is not compared`; continue; }
    if (!pair.a.storage?.source || !pair.b.storage?.source) { row.skipped = 'no stored bytes'; continue; }
    if (numel === 0) { row.max_abs_diff = 0; row.mae = 0; continue; }
    const big = numel > batches.batchElements;
    const sums = work.run([pair.a, pair.b], () => big
      ? chunkedSums(pair.a, pair.b, numel, chunk, providers, tally, opts.signal)
      : batches.add(pair.a, pair.b, numel));
    if (big) fill(row, await sums);
    else {
      waiting.push({ row, sums });
      // bounds what waits (a million pairs run in a few dozen batches, not all held at once)
      if (waiting.length >= SETTLE_PAIRS) await settle();
    }
  }
  await settle();
  return out;
}

/**
 * Elements of one batched run: enough that a run's fixed cost (~0.2 ms) is small against its work, small
 * enough that a batch's values and its padded copy stay a few MiB.
 */
const BATCH_ELEMENTS = 1 << 20;

/** Pairs collected before their batches run. */
const SETTLE_PAIRS = 1 << 16;

function fill(row: TensorDiff, r: PairSums | Skipped): void {
  if (isSkipped(r)) { row.skipped = r.skipped; return; }
  row.max_abs_diff = r.mad;
  row.mae = r.sad / row.numel;
  row.cosine = cosineOf(r.spt, r.spp, r.stt);
}

/**
 * Cosine similarity from partial sums, with torch's eps (1e-8) on each norm; two all-zero tensors are the
 * same tensor, so 1 (torch's formula would give 0 there, which reads as "unrelated").
 */
export function cosineOf(dot: number, normSqA: number, normSqB: number): number {
  if (normSqA === 0 && normSqB === 0) return 1;
  return dot / (Math.max(Math.sqrt(normSqA), 1e-8) * Math.max(Math.sqrt(normSqB), 1e-8));
}
