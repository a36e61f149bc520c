/**
 * ONNX Runtime sessions, cached by (graph key, provider), run on the provider `auto` chose (autoChoice.ts) or
 * through a forced order with fallback. Every run reports the provider that ran it and why, session-creation
 * time (0 when cached) and run time. Runs go one at a time (`exclusive`), so a background timing measures its
 * provider alone and two runs never share a GPU device at once.
 */
import { errorMessage } from '../core/errors';
import * as ort from 'onnxruntime-node';
import type { DTypeName } from '../core/dtype';
import type { NaturalArray } from '../core/decode';
import { numelOf } from '../core/layout';
import { planAuto, startTiming, TIMED_RUNS } from './autoChoice';
import { setOrtVersion } from './choiceStore';
import type { ProviderChoice, ProviderName } from './providers';
import { availableProviders, explainFailure, noteProviderFailure, unavailableReason } from './providers';

export interface RunInfo {
  provider: ProviderName;
  /** why this provider ran: "webgpu: 3.1× faster than cpu for bmm at this size", "cpu: first of the order set" */
  reason: string;
  /** session creation in ms; 0 when the session came from the cache */
  sessionMs: number;
  runMs: number;
  cached: boolean;
  /** providers tried before this one and why they failed */
  fallbacks: { provider: ProviderName; error: string }[];
}

export interface Feed {
  dtype: DTypeName;
  shape: readonly number[];
  data: NaturalArray;
}

export interface Fetched {
  dtype: string;
  shape: number[];
  data: NaturalArray;
}

interface Cached {
  session: ort.InferenceSession;
  sessionMs: number;
}

const cache = new Map<string, Promise<Cached>>();

// onnxruntime logs a missing provider library at ERROR level on stderr; we report that failure ourselves (as a
// fallback with its reason), so only fatal messages are printed. Set before the first session creates the env.
ort.env.logLevel = process.env.TENSORSCOPE_ORT_LOG === 'verbose' ? 'verbose' : 'fatal';
setOrtVersion(ort.env.versions.node ?? ort.env.versions.common);

let queue: Promise<unknown> = Promise.resolve();

/** Run `fn` after every run queued before it has ended (one onnxruntime run at a time in this process). */
export function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

/** ORT tensor type names for our feed dtypes. */
function ortType(d: DTypeName): ort.Tensor.Type {
  switch (d) {
    case 'float32': case 'float64': case 'int8': case 'uint8': case 'int16': case 'uint16': case 'int32': case 'uint32':
    case 'int64': case 'uint64': case 'bool':
      return d;
    default:
      throw new Error(`dtype ${d} cannot be fed to onnxruntime (convert it first)`);
  }
}

export function toOrtTensor(f: Feed): ort.Tensor {
  return new ort.Tensor(ortType(f.dtype), f.data as ort.Tensor.DataType, [...f.shape]);
}

function sessionOptions(p: ProviderName, resident = false): ort.InferenceSession.SessionOptions {
  const threads = Number(process.env.TENSORSCOPE_ORT_THREADS);
  return {
    executionProviders: [p], graphOptimizationLevel: 'all', logSeverityLevel: 3,
    ...(resident ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    ...(Number.isInteger(threads) && threads > 0 ? { intraOpNumThreads: threads } : {}),
  };
}

async function getSession(key: string, p: ProviderName, build: () => Uint8Array, resident = false): Promise<{ c: Cached; cached: boolean }> {
  const k = `${p}|${resident ? 'resident|' : ''}${key}`;
  const hit = cache.get(k);
  if (hit) return { c: await hit, cached: true };
  const created = (async () => {
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(build(), sessionOptions(p, resident));
    return { session, sessionMs: performance.now() - t0 };
  })();
  cache.set(k, created);
  try {
    return { c: await created, cached: false };
  } catch (e) {
    cache.delete(k);
    throw e;
  }
}

export interface GraphRun {
  /** identifies the graph: op, parameters, input shapes and dtypes */
  key: string;
  /** the op family `auto` keeps its choice for (default: the key up to its first ':' or '|') */
  op?: string;
  build: () => Uint8Array;
  feeds: Record<string, Feed>;
  providers: ProviderChoice;
}

type Outputs = Record<string, Fetched>;

function fetched(res: ort.InferenceSession.ReturnType): Outputs {
  const outputs: Outputs = {};
  for (const [name, t] of Object.entries(res)) outputs[name] = { dtype: t.type, shape: t.dims.map(Number), data: t.data as NaturalArray };
  return outputs;
}

/** One run on one provider (session from the cache or created); throws the provider's error. */
async function runOn(p: ProviderName, g: GraphRun, feeds: Record<string, ort.Tensor>): Promise<{ outputs: Outputs; sessionMs: number; runMs: number; cached: boolean }> {
  let got: { c: Cached; cached: boolean };
  try {
    got = await getSession(g.key, p, g.build);
  } catch (e) {
    const msg = errorMessage(e);
    noteProviderFailure(p, msg);
    throw new Error(explainFailure(p, msg));
  }
  return exclusive(async () => {
    const t0 = performance.now();
    const res = await got.c.session.run(feeds);
    const runMs = performance.now() - t0;
    return { outputs: fetched(res), sessionMs: got.cached ? 0 : got.c.sessionMs, runMs, cached: got.cached };
  });
}

function ortFeeds(g: GraphRun): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(g.feeds)) feeds[name] = toOrtTensor(f);
  return feeds;
}

/** Run a graph on the provider `auto` picks, or on the first of a forced order that works. Throws with every provider's reason when none does. */
export async function runGraph(g: GraphRun): Promise<{ outputs: Outputs; info: RunInfo }> {
  return g.providers === 'auto' ? runAuto(g) : runForced(g, g.providers);
}

async function runForced(g: GraphRun, order: readonly ProviderName[]): Promise<{ outputs: Outputs; info: RunInfo }> {
  const fallbacks: { provider: ProviderName; error: string }[] = [];
  const feeds = ortFeeds(g);
  for (const p of order) {
    const known = unavailableReason(p);
    if (known) { fallbacks.push({ provider: p, error: known }); continue; }
    try {
      const r = await runOn(p, g, feeds);
      const reason = fallbacks.length ? `${p}: ${fallbacks.map((f) => f.provider).join(' and ')} could not run it` : order.length > 1 ? `${p}: first of the order set (${order.join(', ')})` : `${p}: the provider set`;
      return { outputs: r.outputs, info: { provider: p, reason, sessionMs: r.sessionMs, runMs: r.runMs, cached: r.cached, fallbacks } };
    } catch (e) {
      fallbacks.push({ provider: p, error: errorMessage(e).split('\n')[0] });
    }
  }
  throw new Error(`no execution provider could run this: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
}

async function runAuto(g: GraphRun): Promise<{ outputs: Outputs; info: RunInfo }> {
  const first = Object.values(g.feeds)[0];
  const op = g.op ?? g.key.split(/[:|]/)[0];
  const numel = Object.values(g.feeds).reduce((n, f) => n + numelOf(f.shape), 0);
  const plan = planAuto({ op, dtype: first?.dtype ?? 'none', numel }, availableProviders());
  const feeds = ortFeeds(g);
  let result: { outputs: Outputs; info: RunInfo };
  try {
    const r = await runOn(plan.provider, g, feeds);
    result = { outputs: r.outputs, info: { provider: plan.provider, reason: plan.reason, sessionMs: r.sessionMs, runMs: r.runMs, cached: r.cached, fallbacks: [] } };
  } catch (e) {
    if (plan.provider === 'cpu') throw e;
    // the chosen provider failed on this graph: the CPU runs it, and says so
    const r = await runForced(g, ['cpu']);
    const error = errorMessage(e).split('\n')[0];
    result = { outputs: r.outputs, info: { ...r.info, reason: `cpu: ${plan.provider} (chosen by measurement) failed on this graph`, fallbacks: [{ provider: plan.provider, error }] } };
  }
  startTiming(plan, op, async (p) => {
    await runOn(p, g, feeds);
    const times: number[] = [];
    for (let i = 0; i < TIMED_RUNS; i++) times.push((await runOn(p, g, feeds)).runMs);
    return times;
  });
  return result;
}

/** One stage of a device-resident chain: a graph with input `x` and output `y`. */
export interface ChainStage {
  key: string;
  build: () => Uint8Array;
}

/**
 * Run graphs one after the other on one provider, each stage's output feeding the next. On WebGPU the
 * intermediate tensors stay on the device (onnxruntime's GPU-buffer outputs as the next session's input: IO
 * binding); only the first input is uploaded and only the last output downloaded. Other providers run the same
 * chain through host memory.
 */
export async function runChain(stages: readonly ChainStage[], input: Feed, provider: ProviderName): Promise<{ output: Fetched; sessionMs: number; runMs: number; resident: boolean }> {
  const resident = provider === 'webgpu';
  let x: ort.Tensor = toOrtTensor(input);
  let sessionMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < stages.length; i++) {
    const last = i === stages.length - 1;
    const got = await getSession(stages[i].key, provider, stages[i].build, resident && !last);
    sessionMs += got.cached ? 0 : got.c.sessionMs;
    const res = await exclusive(() => got.c.session.run({ x }));
    if (x.location === 'gpu-buffer') x.dispose();
    x = res.y;
  }
  const data = (x.location === 'gpu-buffer' ? await x.getData(true) : x.data) as NaturalArray;
  const runMs = performance.now() - t0 - sessionMs;
  return { output: { dtype: x.type, shape: x.dims.map(Number), data }, sessionMs, runMs, resident };
}

/** Number of cached sessions (tests check that repeated runs reuse them). */
export function cachedSessionCount(): number {
  return cache.size;
}

export async function releaseSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    try { await (await p).session.release(); } catch { /* already failed */ }
  }
}
