/**
 * Per-tensor differences for the checkpoint diff: max_abs_diff, mae and cosine of each matched pair, from
 * one partial-sums graph run chunk by chunk through the provider chain (one cached session for all tensors).
 */
import type { Checkpoint, TensorInfo } from '../core/model';
import type { StateDictMatch } from '../core/diff';
import { matchEntries } from '../core/diff';
import type { LeftOut, StateDictSection } from '../core/stateDict';
import { describeChoice, pickStateDict } from '../core/stateDict';
import { readDense } from '../core/values';
import { numelOf } from '../core/layout';
import { toFloat32 } from './dense';
import { chunkSize } from './exec';
import { GraphBuilder } from './graph';
import type { ProviderChoice, ProviderName } from './providers';
import { runGraph } from './session';
import { errorMessage } from '../core/errors';
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

function buildDiffGraph(): Uint8Array {
  const g = new GraphBuilder();
  const p = g.input('p', 'float32', ['n']);
  const t = g.input('t', 'float32', ['n']);
  const axes = g.int64s([0]);
  const ad = g.node('Abs', [g.node('Sub', [p, t])]);
  g.node('ReduceMax', [ad], { axes: [0], keepdims: 0 }, ['mad']);
  g.node('ReduceSum', [ad, axes], { keepdims: 0 }, ['sad']);
  g.node('ReduceSum', [g.node('Mul', [p, t]), axes], { keepdims: 0 }, ['spt']);
  g.node('ReduceSum', [g.node('Mul', [p, p]), axes], { keepdims: 0 }, ['spp']);
  g.node('ReduceSum', [g.node('Mul', [t, t]), axes], { keepdims: 0 }, ['stt']);
  for (const o of ['mad', 'sad', 'spt', 'spp', 'stt']) g.output(o, 'float32', []);
  return g.encode('diff');
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
  const pa = pickStateDict(dense(a), a.content, opts.a?.key);
  const pb = pickStateDict(dense(b), b.content, opts.b?.key);
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
  // identical pairs of views once, the reading bounded by the stored bytes (hostile files: 300k names, one storage)
  const work = new ViewWork(m.matched.flatMap((pair) => [pair.a, pair.b]));
  for (const pair of m.matched) {
    const numel = numelOf(pair.a.shape);
    const row: TensorDiff = { key: pair.key, dtype: pair.a.dtype === pair.b.dtype ? pair.a.dtype : `${pair.a.dtype}/${pair.b.dtype}`, shape: [...pair.a.shape], numel, max_abs_diff: null, mae: null, cosine: null };
    out.tensors.push(row);
    if (!NUMERIC.test(pair.a.dtype) || !NUMERIC.test(pair.b.dtype) || pair.a.quant || pair.b.quant) { row.skipped = `dtype ${row.dtype} is not compared`; continue; }
    if (!pair.a.storage?.source || !pair.b.storage?.source) { row.skipped = 'no stored bytes'; continue; }
    if (numel === 0) { row.max_abs_diff = 0; row.mae = 0; continue; }
    const r = await work.run([pair.a, pair.b], () => pairValues(pair.a, pair.b, numel, chunk, providers, opts.signal));
    if (isSkipped(r)) { row.skipped = r.skipped; continue; }
    row.max_abs_diff = r.max_abs_diff;
    row.mae = r.mae;
    row.cosine = r.cosine;
    if (r.run) {
      out.provider = r.run.provider;
      out.reason = r.run.reason;
      out.sessionMs += r.run.sessionMs;
      out.runMs += r.run.runMs;
      // a reused result ran once: its time is counted once
      r.run = null;
    }
  }
  return out;
}

interface PairValues {
  max_abs_diff: number;
  mae: number;
  cosine: number;
  /** where and how long it ran; null once counted */
  run: { provider: ProviderName; reason: string | null; sessionMs: number; runMs: number } | null;
}

/** max_abs_diff, mae and cosine of two same-shaped tensors, chunk by chunk through the provider chain. */
async function pairValues(a: TensorInfo, b: TensorInfo, numel: number, chunk: number, providers: ProviderChoice, signal?: AbortSignal): Promise<PairValues | Skipped> {
  let p: Float32Array;
  let t: Float32Array;
  try {
    p = toFloat32((await readDense(a, { signal })).data);
    t = toFloat32((await readDense(b, { signal })).data);
  } catch (e) {
    // an unreadable tensor skips its row; a provider that fails fails the diff
    if (signal?.aborted) throw e;
    return { skipped: errorMessage(e) };
  }
  let mad = 0;
  let sad = 0;
  let spt = 0;
  let spp = 0;
  let stt = 0;
  let provider: ProviderName | null = null;
  let reason: string | null = null;
  let sessionMs = 0;
  let runMs = 0;
  for (let start = 0; start < numel; start += chunk) {
    const len = Math.min(chunk, numel - start);
    const { outputs, info } = await runGraph({
      key: 'diff', build: buildDiffGraph, providers,
      feeds: { p: { dtype: 'float32', shape: [len], data: p.subarray(start, start + len) }, t: { dtype: 'float32', shape: [len], data: t.subarray(start, start + len) } },
    });
    const v = (k: string) => outputs[k].data[0] as number;
    mad = Math.max(mad, v('mad'));
    if (Number.isNaN(v('mad'))) mad = NaN;
    sad += v('sad'); spt += v('spt'); spp += v('spp'); stt += v('stt');
    provider = info.provider;
    reason = info.reason;
    sessionMs += info.sessionMs;
    runMs += info.runMs;
  }
  return { max_abs_diff: mad, mae: sad / numel, cosine: cosineOf(spt, spp, stt), run: provider ? { provider, reason, sessionMs, runMs } : null };
}

/**
 * Cosine similarity from partial sums, with torch's eps (1e-8) on each norm; two all-zero tensors are the
 * same tensor, so 1 (torch's formula would give 0 there, which reads as "unrelated").
 */
export function cosineOf(dot: number, normSqA: number, normSqB: number): number {
  if (normSqA === 0 && normSqB === 0) return 1;
  return dot / (Math.max(Math.sqrt(normSqA), 1e-8) * Math.max(Math.sqrt(normSqB), 1e-8));
}
