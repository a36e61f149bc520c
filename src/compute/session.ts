/**
 * ONNX Runtime sessions, cached by (graph key, provider), run through the provider chain with fallback.
 * Every run reports the provider that ran it, session-creation time (0 when cached) and run time.
 */
import * as ort from 'onnxruntime-node';
import type { DTypeName } from '../core/dtype';
import type { NaturalArray } from '../core/decode';
import type { ProviderName } from './providers';
import { explainFailure, noteProviderFailure, unavailableReason } from './providers';

export interface RunInfo {
  provider: ProviderName;
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
  build: () => Uint8Array;
  feeds: Record<string, Feed>;
  providers: readonly ProviderName[];
}

/** Run a graph on the first provider of the chain that works. Throws with every provider's reason when none does. */
export async function runGraph(g: GraphRun): Promise<{ outputs: Record<string, Fetched>; info: RunInfo }> {
  const fallbacks: { provider: ProviderName; error: string }[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(g.feeds)) feeds[name] = toOrtTensor(f);
  for (const p of g.providers) {
    const known = unavailableReason(p);
    if (known) { fallbacks.push({ provider: p, error: known }); continue; }
    let got: { c: Cached; cached: boolean };
    try {
      got = await getSession(g.key, p, g.build);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      noteProviderFailure(p, msg);
      fallbacks.push({ provider: p, error: explainFailure(p, msg) });
      continue;
    }
    try {
      const t0 = performance.now();
      const res = await got.c.session.run(feeds);
      const runMs = performance.now() - t0;
      const outputs: Record<string, Fetched> = {};
      for (const [name, t] of Object.entries(res)) {
        outputs[name] = { dtype: t.type, shape: t.dims.map(Number), data: t.data as NaturalArray };
      }
      return { outputs, info: { provider: p, sessionMs: got.cached ? 0 : got.c.sessionMs, runMs, cached: got.cached, fallbacks } };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      fallbacks.push({ provider: p, error: msg.split('\n')[0] });
    }
  }
  throw new Error(`no execution provider could run this: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
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
    const res = await got.c.session.run({ x });
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
