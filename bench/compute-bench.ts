/**
 * `npm run bench` part for src/compute: ours (onnxruntime-node) vs PyTorch on the same machine in the same run.
 * Prints median ms per op and the ratio ours/torch (target ≤ 1.5). Session creation is reported separately
 * (sessions are cached; a user's second run of the same op and shapes pays none).
 *   node --import tsx bench/compute-bench.ts [--ep cpu|webgpu|cuda] [--big] [--reps=N]
 * --big uses the GPU sizes (bmm 8×1024³, interpolate 1×64×512²); TORCH_DEVICE=cuda compares with torch CUDA.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Dense } from '../src/compute/dense';
import { makeDense } from '../src/compute/dense';
import { runMetric } from '../src/compute/metrics';
import { runOp } from '../src/compute/ops';
import { Params } from '../src/compute/params';
import { parseProviders } from '../src/compute/providers';

const args = process.argv.slice(2);
const ep = parseProviders(args.find((a) => a.startsWith('--ep='))?.slice(5) ?? 'cpu');
const big = args.includes('--big');
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

async function timed(fn: () => Promise<{ sessionMs: number; provider: string }>): Promise<{ ms: number; sessionMs: number; provider: string }> {
  const first = await fn();
  const ts: number[] = [];
  let provider = first.provider;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    provider = (await fn()).provider;
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)], sessionMs: first.sessionMs, provider };
}

async function main(): Promise<void> {
  const ref = spawnSync(py, [path.join(__dirname, 'compute_torch_bench.py'), torchDevice, ...(big ? ['--big'] : []), `--reps=${reps}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (ref.status !== 0) throw new Error(`torch reference failed: ${ref.stderr}`);
  const torch = JSON.parse(ref.stdout.trim().split('\n').pop() as string) as { torch: string; threads: number; device: string; ms: Record<string, number> };

  const n = big ? 1024 : 512;
  const s = big ? 512 : 256;
  const ours: Record<string, { ms: number; sessionMs: number; provider: string }> = {};
  const op = (name: string, inputs: Dense[], params: Record<string, string>) => async () => {
    const r = await runOp(name, inputs, Params.parse(params), ep);
    return { sessionMs: r.info?.sessionMs ?? 0, provider: r.info?.provider ?? 'none' };
  };
  const metric = (name: string, p: Dense, t: Dense) => async () => {
    const r = await runMetric(name, p, t, Params.parse({}), ep);
    return { sessionMs: r.sessionMs, provider: r.provider };
  };
  ours[`bmm 8x${n}^3`] = await timed(op('bmm', [rand([8, n, n], true), rand([8, n, n], true)], {}));
  const img = rand([1, 64, s, s], true);
  for (const mode of ['nearest', 'bilinear', 'bicubic', 'area']) {
    const params: Record<string, string> = mode === 'area' ? { size: `${2 * s},${2 * s}`, mode } : { scale_factor: '2', mode };
    ours[`interpolate ${mode} 1x64x${s}^2 x2`] = await timed(op('interpolate', [img], params));
  }
  const pred = rand([16, 1024, 1024]);
  const target = rand([16, 1024, 1024]);
  for (const m of ['mae', 'max_abs_diff', 'iou', 'cosine', 'cc', 'kld']) ours[`metric ${m} 16x1024^2`] = await timed(metric(m, pred, target));

  process.stdout.write(`compute bench: ours on ${ep.join('→')} vs torch ${torch.torch} on ${torch.device} (${torch.threads} threads; onnxruntime ${threads} threads), median of ${reps}\n`);
  process.stdout.write(`${'case'.padEnd(36)} ${'ours ms'.padStart(9)} ${'torch ms'.padStart(9)} ${'ratio'.padStart(6)}  provider  (first-run session ms)\n`);
  const ratios: number[] = [];
  for (const [name, o] of Object.entries(ours)) {
    const t = torch.ms[name];
    const ratio = t ? o.ms / t : NaN;
    if (t) ratios.push(ratio);
    process.stdout.write(`${name.padEnd(36)} ${o.ms.toFixed(2).padStart(9)} ${(t ?? NaN).toFixed(2).padStart(9)} ${ratio.toFixed(2).padStart(6)}  ${o.provider.padEnd(8)}  (${o.sessionMs.toFixed(0)})${ratio > 1.5 ? '  > 1.5×' : ''}\n`);
  }
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  process.stdout.write(`geometric mean ratio ${geo.toFixed(2)}; ${ratios.filter((r) => r <= 1.5).length}/${ratios.length} within 1.5×\n`);
}

main().catch((e: unknown) => { process.stderr.write(`compute bench: ${e instanceof Error ? e.message : String(e)}\n`); process.exitCode = 1; });
