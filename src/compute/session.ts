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

function sessionOptions(p: ProviderName): ort.InferenceSession.SessionOptions {
  const threads = Number(process.env.TENSORSCOPE_ORT_THREADS);
  return {
    executionProviders: [p], graphOptimizationLevel: 'all', logSeverityLevel: 3,
    ...(Number.isInteger(threads) && threads > 0 ? { intraOpNumThreads: threads } : {}),
  };
}

async function getSession(key: string, p: ProviderName, build: () => Uint8Array): Promise<{ c: Cached; cached: boolean }> {
  const k = `${p}|${key}`;
  const hit = cache.get(k);
  if (hit) return { c: await hit, cached: true };
  const created = (async () => {
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(build(), sessionOptions(p));
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
