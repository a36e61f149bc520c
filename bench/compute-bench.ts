/**
 * `npm run bench` part for src/compute: every available onnxruntime provider and PyTorch on the same machine in the
 * same run, and what `auto` chooses. Per case: median ms of each provider (forced), torch's median, the ratio of the
 * best provider to torch (target ≤ 1.5), and auto's choice with its reason (measured afresh: choices are kept in
 * memory only here). Runs are interleaved (one of each provider, then torch, `reps` times).
 *   node --import tsx bench/compute-bench.ts [--ep=cpu,webgpu,…] [--big | --small] [--swiftshader] [--reps=N]
 * Providers: those available (providerProbe.ts), or --ep. --swiftshader: without a GPU Vulkan driver, re-run with
 * Chromium's SwiftShader as WebGPU's driver (a CPU Vulkan: one bmm 8×512³ takes over a minute there, so use it
 * with --small), which gives the CPU-vs-WebGPU figures of README "GPU compute". --big uses the GPU sizes
 * (bmm 8×1024³, interpolate 1×64×512²), --small tiny ones (bmm 8×128³, interpolate 1×8×64², metrics 4×256²);
 * TORCH_DEVICE=cuda compares with torch CUDA.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dense } from '../src/compute/dense';
import { makeDense } from '../src/compute/dense';
import { runMetric } from '../src/compute/metrics';
import { runOp, softmaxNode } from '../src/compute/ops';
import { Params } from '../src/compute/params';
import type { ProviderChoice, ProviderName } from '../src/compute/providers';
import { availableProviders, parseProviders, unavailableReason } from '../src/compute/providers';
import { probeWebgpu } from '../src/compute/providerProbe';
import type { ChainStep } from '../src/compute/chain';
import { runOpChain } from '../src/compute/chain';
import { settleTimings } from '../src/compute/autoChoice';
import { setChoiceStoreDir } from '../src/compute/choiceStore';
import { errorMessage } from '../src/core/errors';

const args = process.argv.slice(2);
const epArg = args.find((a) => a.startsWith('--ep='))?.slice(5);
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
setChoiceStoreDir(null);
const big = args.includes('--big');
const small = args.includes('--small');
const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 5);
const torchDevice = process.env.TORCH_DEVICE ?? 'cpu';
const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
// the same number of CPU threads for both sides
const threads = Number(process.env.BENCH_THREADS ?? os.cpus().length);
process.env.BENCH_THREADS = String(threads);
process.env.TENSORSCOPE_ORT_THREADS = String(threads);

function rand(shape: number[], normal = false): Dense {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = normal ? (Math.random() + Math.random() + Math.random() - 1.5) * 2 : Math.random();
  return makeDense('float32', shape, d);
}

/** A PyTorch process that runs one named case per request, so that its runs interleave with ours. */
class TorchRef {
  private buf = '';
  private waiting: ((line: string) => void)[] = [];
  private failures: ((e: Error) => void)[] = [];
  private exited: number | null = null;
  readonly proc: ChildProcessWithoutNullStreams;
  constructor(script: string, device: string) {
    this.proc = spawn(py, [script, device, ...(big ? ['--big'] : small ? ['--small'] : []), '--serve'], { stdio: 'pipe' });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.failures.shift();
        this.waiting.shift()?.(line);
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.proc.on('exit', (code) => {
      this.exited = code;
      for (const f of this.failures) f(new Error(`torch reference exited (${code})`));
    });
  }
  next(): Promise<string> {
    if (this.exited !== null) return Promise.reject(new Error(`torch reference exited (${this.exited})`));
    return new Promise((resolve, reject) => { this.waiting.push(resolve); this.failures.push(reject); });
  }
  async run(name: string): Promise<number> {
    const p = this.next();
    this.proc.stdin.write(name + '\n');
    return Number(await p);
  }
  close(): void { this.proc.stdin.end(); }
}

interface Row {
  /** median ms per provider (forced) */
  ours: Partial<Record<ProviderName, number>>;
  torch: number;
  /** first-run session creation ms per provider */
  sessionMs: Partial<Record<ProviderName, number>>;
  auto: { provider: string; reason: string } | null;
}

type Ours = (choice: ProviderChoice) => Promise<{ sessionMs: number; provider: string; reason: string }>;

const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

/**
 * Warm every provider and torch, then alternate one run of each provider and one of torch, `reps` times; medians.
 * Then auto: a first run, its background timing, and the run after it (whose provider and reason are reported).
 */
async function measure(name: string, providers: readonly ProviderName[], ours: Ours, ref: TorchRef, withAuto = true): Promise<Row> {
  const row: Row = { ours: {}, torch: 0, sessionMs: {}, auto: null };
  const times: Partial<Record<ProviderName, number[]>> = {};
  for (const p of providers) {
    row.sessionMs[p] = (await ours([p])).sessionMs;
    times[p] = [];
  }
  await ref.run(name);
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const p of providers) {
      const t0 = performance.now();
      await ours([p]);
      times[p]?.push(performance.now() - t0);
    }
    t.push(await ref.run(name));
  }
  for (const p of providers) row.ours[p] = med(times[p] ?? []);
  row.torch = med(t);
  if (withAuto) {
    await ours('auto');
    await settleTimings();
    const a = await ours('auto');
    row.auto = { provider: a.provider, reason: a.reason };
  }
  return row;
}

/** WebGPU without a GPU driver: re-run this script with SwiftShader's Vulkan environment when it exists. */
function rerunWithSwiftshader(): boolean {
  if (!args.includes('--swiftshader') || process.env.TENSORSCOPE_BENCH_SWIFTSHADER || !probeWebgpu() || !existsSync(SWIFTSHADER_ICD)) return false;
  const libDir = path.dirname(SWIFTSHADER_ICD);
  const env = { ...process.env, TENSORSCOPE_BENCH_SWIFTSHADER: '1', VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, libDir].filter(Boolean).join(':') };
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], { env, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
  return true;
}

async function main(): Promise<void> {
  if (rerunWithSwiftshader()) return;
  const forced = epArg ? parseProviders(epArg) : 'auto';
  const providers: ProviderName[] = forced === 'auto' ? availableProviders() : [...forced];
  // next to this file, or (bundled as dist/computeBench.js) in ../bench
  const script = [path.join(__dirname, 'compute_torch_bench.py'), path.join(__dirname, '..', 'bench', 'compute_torch_bench.py')].find((f) => existsSync(f)) as string;
  const ref = new TorchRef(script, torchDevice);
  const torch = JSON.parse(await ref.next()) as { torch: string; threads: number; device: string; cases: string[] };
  const n = big ? 1024 : small ? 128 : 512;
  const s = big ? 512 : small ? 64 : 256;
  const c = small ? 8 : 64;
  const [mb, mn] = small ? [4, 256] : [16, 1024];
  const rows: Record<string, Row> = {};
  const op = (name: string, inputs: Dense[], params: Record<string, string>): Ours => async (choice) => {
    const r = await runOp(name, inputs, Params.parse(params), choice);
    return { sessionMs: r.info?.sessionMs ?? 0, provider: r.info?.provider ?? 'none', reason: r.info?.reason ?? '' };
  };
  const metric = (name: string, p: Dense, t: Dense): Ours => async (choice) => {
    const r = await runMetric(name, p, t, Params.parse({}), choice);
    return { sessionMs: r.sessionMs, provider: r.provider, reason: r.reason };
  };
  const bmm = `bmm 8x${n}^3`;
  rows[bmm] = await measure(bmm, providers, op('bmm', [rand([8, n, n], true), rand([8, n, n], true)], {}), ref);
  const img = rand([1, c, s, s], true);
  for (const mode of ['nearest', 'bilinear', 'bicubic', 'area']) {
    const params: Record<string, string> = mode === 'area' ? { size: `${2 * s},${2 * s}`, mode } : { scale_factor: '2', mode };
    const name = `interpolate ${mode} 1x${c}x${s}^2 x2`;
    rows[name] = await measure(name, providers, op('interpolate', [img], params), ref);
  }
  // a chain as one graph: the intermediates never leave the device that runs it
  const chainInput = { dtype: 'float32' as const, shape: [1, c, s, s], data: img.data as Float32Array };
  const chainName = `chain interpolate+softmax+sum 1x${c}x${s}^2`;
  const steps: ChainStep[] = [{ op: 'interpolate', params: { scale_factor: '2', mode: 'bilinear' } }, { op: 'softmax', params: { dim: '1' } }, { op: 'sum', params: { dim: '1' } }];
  rows[`${chainName} (one graph)`] = await measure(chainName, providers, async (choice) => {
    const r = await runOpChain(steps, chainInput, choice);
    return { sessionMs: r.sessionMs, provider: r.provider, reason: r.reason };
  }, ref);
  // one session per step; on webgpu the intermediates stay GPU buffers bound to the next session
  if (providers.includes('webgpu')) {
    rows[`${chainName} (3 sessions, GPU buffers)`] = await measure(chainName, ['webgpu'], async () => {
      const r = await runOpChain(steps, chainInput, 'webgpu', 'sessions');
      return { sessionMs: r.sessionMs, provider: r.provider, reason: r.reason };
    }, ref, false);
  }
  const pred = rand([mb, mn, mn]);
  const target = rand([mb, mn, mn]);
  for (const m of ['mae', 'max_abs_diff', 'iou', 'cosine', 'cc', 'kld']) rows[`metric ${m} ${mb}x${mn}^2`] = await measure(`metric ${m} ${mb}x${mn}^2`, providers, metric(m, pred, target), ref);

  ref.close();
  const webgpuNote = process.env.TENSORSCOPE_BENCH_SWIFTSHADER ? ' (webgpu: Chromium\'s SwiftShader, a Vulkan driver on the CPU)' : '';
  const missing = (['cuda', 'webgpu'] as const).filter((p) => !providers.includes(p)).map((p) => `${p}: ${(unavailableReason(p) ?? 'not asked for').split(':')[0]}`);
  process.stdout.write(`compute bench: onnxruntime on ${providers.join(', ')}${webgpuNote} vs torch ${torch.torch} on ${torch.device} (${torch.threads} threads; onnxruntime ${threads} threads), runs interleaved, median of ${reps}\n`);
  if (missing.length) process.stdout.write(`not available: ${missing.join('; ')}\n`);
  const col = (v: string) => v.padStart(10);
  process.stdout.write(`${'case'.padEnd(50)} ${providers.map((p) => col(`${p} ms`)).join(' ')} ${col('torch ms')} ${'best/torch'.padStart(10)}  auto chose\n`);
  const ratios: number[] = [];
  for (const [name, r] of Object.entries(rows)) {
    const best = Math.min(...Object.values(r.ours).filter((v): v is number => v !== undefined));
    const ratio = best / r.torch;
    ratios.push(ratio);
    const cells = providers.map((p) => col(r.ours[p] === undefined ? '—' : (r.ours[p] as number).toFixed(2)));
    process.stdout.write(`${name.padEnd(50)} ${cells.join(' ')} ${col(r.torch.toFixed(2))} ${ratio.toFixed(2).padStart(10)}  ${r.auto ? r.auto.reason : '(not an auto case)'}${ratio > 1.5 ? '  [> 1.5× torch]' : ''}\n`);
  }
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  process.stdout.write(`geometric mean best/torch ${geo.toFixed(2)}; ${ratios.filter((r) => r <= 1.5).length}/${ratios.length} within 1.5×\n`);
}

main().catch((e: unknown) => { process.stderr.write(`compute bench: ${errorMessage(e)}\n`); process.exitCode = 1; });
