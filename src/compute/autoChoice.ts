/**
 * `auto`: the provider for each (op, dtype, size class) is the one measured fastest on this machine.
 *   - Below AUTO_MIN_ELEMENTS input elements the CPU runs (a GPU's fixed costs dominate there); nothing is timed.
 *   - The first run of a new (op, dtype, size class) runs on the CPU and returns at once; every available
 *     provider (CPU included) is then timed in the background on the same graph and inputs: session creation
 *     and one warm-up run untimed, then TIMED_RUNS runs, median. Until that ends, runs of the same class stay
 *     on the CPU.
 *   - The fastest provider is kept (choiceStore.ts) and used from then on; every result says which ran and why:
 *     "webgpu: 3.1× faster than cpu for bmm at this size".
 * Size class: input elements rounded down to a power of 4, so a choice covers shapes of similar cost.
 * The measured times pass through a seam (`setTimingSeam`) that tests use to make one provider look fast.
 */
import { errorMessage } from '../core/errors';
import type { StoredChoice } from './choiceStore';
import { storeChoice, storedChoice } from './choiceStore';
import type { ProviderName } from './providers';
import { noteProviderFailure } from './providers';

export const DEFAULT_AUTO_MIN_ELEMENTS = 1 << 16;
export const TIMED_RUNS = 3;

export function autoMinElements(): number {
  const env = Number(process.env.TENSORSCOPE_AUTO_MIN_ELEMENTS);
  return Number.isInteger(env) && env >= 0 ? env : DEFAULT_AUTO_MIN_ELEMENTS;
}

export interface AutoTarget {
  /** the op family (bmm, interpolate, metric mae, …), not its parameters */
  op: string;
  dtype: string;
  /** elements over all inputs of one run */
  numel: number;
}

export function sizeClass(numel: number): number {
  return numel <= 1 ? 0 : Math.floor(Math.log2(numel) / 2);
}

export function autoKey(t: AutoTarget): string {
  return `${t.op}|${t.dtype}|4^${sizeClass(t.numel)}`;
}

export interface AutoPlan {
  provider: ProviderName;
  reason: string;
  /** providers to time in the background after this run, or null */
  measure: ProviderName[] | null;
  key: string;
}

const pending = new Map<string, Promise<void>>();

/** The provider for this run, and whether to time the others afterwards. `available` always holds cpu. */
export function planAuto(t: AutoTarget, available: readonly ProviderName[]): AutoPlan {
  const key = autoKey(t);
  if (available.length <= 1) return { provider: 'cpu', reason: 'cpu: the only provider available on this machine', measure: null, key };
  const min = autoMinElements();
  if (t.numel < min) {
    return { provider: 'cpu', reason: `cpu: a small input (${t.numel} elements; auto times the other providers from ${min})`, measure: null, key };
  }
  const known = storedChoice(key);
  // a stored choice holds while the providers it was measured among are the ones available now
  if (known && available.every((p) => p in known.times || known.failed?.includes(p)) && available.includes(known.provider)) {
    return { provider: known.provider, reason: known.reason, measure: null, key };
  }
  const others = available.filter((p) => p !== 'cpu').join(' and ');
  if (pending.has(key)) return { provider: 'cpu', reason: `cpu: timing ${others} for ${t.op} at this size in the background; cpu until then`, measure: null, key };
  return { provider: 'cpu', reason: `cpu: first run of ${t.op} at this size; timing ${others} in the background`, measure: [...available], key };
}

type Seam = (provider: ProviderName, ms: number) => number;
let seam: Seam | null = null;

/** Tests: pass every measured time through `fn` (e.g. make one provider look 1000× faster); null restores. */
export function setTimingSeam(fn: Seam | null): void {
  seam = fn;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** The choice from measured median times (ms per run): the fastest, and how much faster than the next. */
export function decide(op: string, times: Partial<Record<ProviderName, number>>, failed: ProviderName[] = []): StoredChoice {
  const ranked = (Object.entries(times) as [ProviderName, number][]).sort((a, b) => a[1] - b[1]);
  const [best, bestMs] = ranked[0];
  const at = new Date().toISOString();
  const extra = failed.length ? { failed } : {};
  if (ranked.length === 1) return { provider: best, times, reason: `${best}: the only provider that ran ${op} here`, at, ...extra };
  const [next, nextMs] = ranked[1];
  const ratio = nextMs / Math.max(bestMs, 1e-6);
  return { provider: best, times, reason: `${best}: ${ratio.toFixed(1)}× faster than ${next} for ${op} at this size`, at, ...extra };
}

/**
 * Time each provider with `timeRuns(p)` (which returns TIMED_RUNS raw run times, ms, or throws when the provider
 * cannot run the graph), one provider after another, then store the choice. Runs in the background.
 */
export function startTiming(plan: AutoPlan, op: string, timeRuns: (p: ProviderName) => Promise<number[]>): void {
  if (!plan.measure || pending.has(plan.key)) return;
  const providers = plan.measure;
  const job = (async () => {
    const times: Partial<Record<ProviderName, number>> = {};
    const failed: ProviderName[] = [];
    for (const p of providers) {
      try {
        const raw = await timeRuns(p);
        times[p] = median(raw.map((ms) => (seam ? seam(p, ms) : ms)));
      } catch (e) {
        noteProviderFailure(p, errorMessage(e));
        failed.push(p);
      }
    }
    if (Object.keys(times).length) storeChoice(plan.key, decide(op, times, failed));
  })().finally(() => pending.delete(plan.key));
  pending.set(plan.key, job);
}

/** Resolves when every background timing (including ones started meanwhile) has ended. */
export async function settleTimings(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending.values()]);
}

export function timingsPending(): number {
  return pending.size;
}
