/**
 * Runs every case of the compute fixtures (made by test/fixtures/make_compute_fixtures.py with real PyTorch)
 * through src/compute on the given providers and reports per case whether it matches torch.
 * Imported by the CPU test; run as a script (`node --import tsx compute-cases.ts DIR EP`) by the WebGPU test,
 * which needs a child process for its Vulkan environment. Prints one JSON array when run as a script.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import type { Dense } from '../../src/compute/dense';
import { strideOf, toNumbers } from '../../src/compute/dense';
import { runOpChain } from '../../src/compute/chain';
import { runMetric } from '../../src/compute/metrics';
import { loadNpy } from '../../src/compute/npyLoad';
import { runOp } from '../../src/compute/ops';
import { Params } from '../../src/compute/params';
import type { ProviderName } from '../../src/compute/providers';
import { materialize } from '../../src/compute/views';
import { errorMessage } from '../../src/core/errors';

export const RTOL = 1e-4;
export const ATOL = 1e-6;

export interface Outcome {
  name: string;
  ok: boolean;
  detail: string;
  /** provider that ran a graph for this case; null when none ran (views, refused shapes) */
  provider: string | null;
}

interface OpCase {
  name: string; op: string; params: Record<string, string>; inputs: string[];
  pre?: { op: string; params: Record<string, string> }[];
  expected?: string; expected64?: string; dtype?: string; shape?: number[]; stride?: number[]; view?: boolean; error?: string; torch_error?: string; chunk?: number;
}
interface MetricCase {
  name: string; metric: string; params: Record<string, string>; pred: string; target: string;
  value: number | boolean; per_sample?: number[]; count?: number; worst_location?: number[]; chunk?: number;
}
interface ChainCase { name: string; steps: { op: string; params: Record<string, string> }[]; input: string; expected: string }
export interface Manifest { torch: string; ops: OpCase[]; metrics: MetricCase[]; chains: ChainCase[] }

const repoRoot = path.resolve(__dirname, '..', '..');
export const fixtureDir = path.join(repoRoot, '.cache', 'fixtures', 'compute');

/** Make the fixtures with real PyTorch (once per run); returns null with a reason when PyTorch is missing. */
export function ensureFixtures(): string | null {
  const script = path.join(repoRoot, 'test', 'fixtures', 'make_compute_fixtures.py');
  const manifest = path.join(fixtureDir, 'manifest.json');
  if (existsSync(manifest) && statSync(manifest).mtimeMs > statSync(script).mtimeMs) return null;
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(py, [path.join(repoRoot, 'test', 'fixtures', 'make_compute_fixtures.py'), fixtureDir], { encoding: 'utf8' });
  if (r.status !== 0) return `could not make fixtures with ${py}: ${(r.stderr || r.error?.message || '').split('\n').slice(-3).join(' ')}`;
  return null;
}

export function readManifest(dir = fixtureDir): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * Elementwise within RTOL/ATOL of torch; with `exact` (torch in float64), an element also passes when it is
 * no further from the float64 result than torch's own float32 result is, plus the tolerance.
 */
function compare(got: Float64Array, want: Float64Array, exact?: Float64Array): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    const err = Math.abs(g - w) / (RTOL * Math.abs(w) + ATOL);
    if (exact && Math.abs(g - exact[i]) <= Math.abs(w - exact[i]) + RTOL * Math.abs(exact[i]) + ATOL) continue;
    if (!(err <= 1)) {
      if (!(err <= worst)) { worst = err; at = i; }
    }
  }
  return at < 0 ? null : `element ${at}: got ${got[at]}, torch ${want[at]} (${worst.toFixed(1)}× the tolerance)`;
}

async function runOpCase(c: OpCase, dir: string, providers: ProviderName[]): Promise<Outcome> {
  const inputs: Dense[] = await Promise.all(c.inputs.map((f) => loadNpy(path.join(dir, f))));
  let provider: string | null = null;
  try {
    for (const p of c.pre ?? []) inputs[0] = (await runOp(p.op, [inputs[0]], Params.parse(p.params), providers)).tensor;
    const res = await runOp(c.op, inputs, Params.parse(c.params), providers, { chunkElements: c.chunk });
    provider = res.info?.provider ?? null;
    if (c.torch_error) return { name: c.name, ok: false, detail: `torch refuses (${c.torch_error}) but we ran`, provider };
    const t = res.tensor;
    const problems: string[] = [];
    if (t.dtype !== c.dtype) problems.push(`dtype ${t.dtype}, torch ${c.dtype}`);
    if (t.shape.join(',') !== (c.shape ?? []).join(',')) problems.push(`shape ${t.shape}, torch ${c.shape}`);
    if (strideOf(t).join(',') !== (c.stride ?? []).join(',')) problems.push(`stride ${strideOf(t)}, torch ${c.stride}`);
    if (c.view !== undefined && res.isView !== c.view) problems.push(`view ${res.isView}, torch ${c.view}`);
    const m = await materialize(t, { providers });
    provider = provider ?? m.info?.provider ?? null;
    const want = await loadNpy(path.join(dir, c.expected as string));
    const exact = c.expected64 ? toNumbers((await loadNpy(path.join(dir, c.expected64))).data) : undefined;
    const diff = compare(toNumbers(m.tensor.data), toNumbers(want.data), exact);
    if (diff) problems.push(diff);
    return { name: c.name, ok: problems.length === 0, detail: problems.join('; '), provider };
  } catch (e) {
    const msg = errorMessage(e);
    if (c.torch_error) {
      const ok = c.error ? msg.includes(c.error) : true;
      return { name: c.name, ok, detail: ok ? `refused: ${msg}` : `refused, but the message lacks '${c.error}': ${msg}`, provider };
    }
    return { name: c.name, ok: false, detail: `threw: ${msg}`, provider };
  }
}

async function runMetricCase(c: MetricCase, dir: string, providers: ProviderName[]): Promise<Outcome> {
  const pred = await loadNpy(path.join(dir, c.pred));
  const target = await loadNpy(path.join(dir, c.target));
  try {
    const r = await runMetric(c.metric, pred, target, Params.parse(c.params), providers, { chunkElements: c.chunk });
    const problems: string[] = [];
    if (typeof c.value === 'boolean') {
      if (r.value !== c.value) problems.push(`value ${r.value}, torch ${c.value}`);
    } else {
      const d = compare(Float64Array.of(Number(r.value)), Float64Array.of(c.value));
      if (d) problems.push(`value: ${d}`);
    }
    if (c.per_sample) {
      const d = compare(Float64Array.from((r.perSample ?? []).map(Number)), Float64Array.from(c.per_sample));
      if (d) problems.push(`per sample: ${d}`);
    }
    if (c.count !== undefined && r.details.count !== c.count) problems.push(`count ${r.details.count}, torch ${c.count}`);
    if (c.worst_location && JSON.stringify(r.details.worst_location) !== JSON.stringify(c.worst_location)) {
      problems.push(`worst at ${JSON.stringify(r.details.worst_location)}, torch ${JSON.stringify(c.worst_location)}`);
    }
    return { name: `metric ${c.name}`, ok: problems.length === 0, detail: problems.join('; ') || `value ${r.value}`, provider: r.provider };
  } catch (e) {
    return { name: `metric ${c.name}`, ok: false, detail: `threw: ${errorMessage(e)}`, provider: null };
  }
}

/** A chain as one graph, and as one session per step (on WebGPU its intermediates stay GPU buffers). */
async function runChainCase(c: ChainCase, dir: string, provider: ProviderName, mode: 'one-graph' | 'sessions'): Promise<Outcome> {
  const x = await loadNpy(path.join(dir, c.input));
  const name = `chain ${c.name} (${mode})`;
  try {
    const r = await runOpChain(c.steps, { dtype: 'float32', shape: x.shape, data: x.data }, [provider], mode);
    const want = await loadNpy(path.join(dir, c.expected));
    const problems: string[] = [];
    if (r.output.shape.join(',') !== want.shape.join(',')) problems.push(`shape ${r.output.shape}, torch ${want.shape}`);
    const d = compare(toNumbers(r.output.data), toNumbers(want.data));
    if (d) problems.push(d);
    if ((provider === 'webgpu' || mode === 'one-graph') && !r.resident) problems.push('intermediates did not stay on the device');
    return { name, ok: problems.length === 0, detail: problems.join('; '), provider: r.provider };
  } catch (e) {
    return { name, ok: false, detail: `threw: ${errorMessage(e)}`, provider: null };
  }
}

export async function runAllCases(dir: string, providers: ProviderName[]): Promise<Outcome[]> {
  const m = readManifest(dir);
  const out: Outcome[] = [];
  for (const c of m.chains ?? []) for (const mode of ['one-graph', 'sessions'] as const) out.push(await runChainCase(c, dir, providers[0], mode));
  for (const c of m.ops) out.push(await runOpCase(c, dir, providers));
  for (const c of m.metrics) out.push(await runMetricCase(c, dir, providers));
  return out;
}

/** Environment for the WebGPU provider on a machine without a GPU: Chromium's SwiftShader Vulkan driver. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
export function swiftshaderEnv(): NodeJS.ProcessEnv {
  const libDir = path.dirname(SWIFTSHADER_ICD);
  return {
    ...process.env,
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
    // the Vulkan loader: the system's libvulkan1 when installed, else the copy Chromium ships
    LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, libDir].filter(Boolean).join(':'),
  };
}
export const hasSwiftshader = (): boolean => existsSync(SWIFTSHADER_ICD);

if (require.main === module) {
  const [dir, ep] = process.argv.slice(2);
  runAllCases(dir, [ep as ProviderName]).then(
    (o) => { process.stdout.write(JSON.stringify(o) + '\n'); },
    (e: unknown) => { process.stderr.write(String(e) + '\n'); process.exitCode = 1; },
  );
}
