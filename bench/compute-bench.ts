/**
 * `npm run bench` part for src/compute: ours (onnxruntime-node) vs PyTorch on the same machine in the same run.
 * Prints median ms per op and the ratio ours/torch (target ≤ 1.5). Session creation is reported separately
 * (sessions are cached; a user's second run of the same op and shapes pays none).
 *   node --import tsx bench/compute-bench.ts [--ep cpu|webgpu|cuda] [--big] [--reps=N]
 * --big uses the GPU sizes (bmm 8×1024³, interpolate 1×64×512²); TORCH_DEVICE=cuda compares with torch CUDA.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dense } from '../src/compute/dense';
import { makeDense } from '../src/compute/dense';
import { runMetric } from '../src/compute/metrics';
import { runOp, softmaxNode } from '../src/compute/ops';
import { Params } from '../src/compute/params';
import { parseProviders } from '../src/compute/providers';
import { GraphBuilder } from '../src/compute/graph';
import { runOpChain } from '../src/compute/chain';
import { runGraph } from '../src/compute/session';

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

/** A PyTorch process that runs one named case per request, so that its runs interleave with ours. */
class TorchRef {
  private buf = '';
  private waiting: ((line: string) => void)[] = [];
  private failures: ((e: Error) => void)[] = [];
  private exited: number | null = null;
  readonly proc: ChildProcessWithoutNullStreams;
  constructor(script: string, device: string) {
    this.proc = spawn(py, [script, device, ...(big ? ['--big'] : []), '--serve'], { stdio: 'pipe' });
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

interface Row { ours: number; torch: number; sessionMs: number; provider: string }

/** Warm both sides, then alternate one run of ours and one of torch, `reps` times; medians. */
async function measure(name: string, ours: () => Promise<{ sessionMs: number; provider: string }>, ref: TorchRef, torchName = name): Promise<Row> {
  const first = await ours();
  await ref.run(torchName);
  const a: number[] = [];
  const b: number[] = [];
  let provider = first.provider;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    provider = (await ours()).provider;
    a.push(performance.now() - t0);
    b.push(await ref.run(torchName));
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  return { ours: med(a), torch: med(b), sessionMs: first.sessionMs, provider };
}

function chainGraph(s: number): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1, 64, s, s]);
  const up = g.node('Resize', [x, '', g.floats([1, 1, 2, 2], 'float32', [4])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  g.node('ReduceSum', [softmaxNode(g, up, 1, 4), g.int64s([1])], { keepdims: 0 }, ['y']);
  g.output('y', 'float32', null);
  return g.encode('chain');
}

async function main(): Promise<void> {
  // next to this file, or (bundled as dist/computeBench.js) in ../bench
  const script = [path.join(__dirname, 'compute_torch_bench.py'), path.join(__dirname, '..', 'bench', 'compute_torch_bench.py')].find((f) => existsSync(f)) as string;
  const ref = new TorchRef(script, torchDevice);
  const torch = JSON.parse(await ref.next()) as { torch: string; threads: number; device: string; cases: string[] };
  const n = big ? 1024 : 512;
  const s = big ? 512 : 256;
  const rows: Record<string, Row> = {};
  const op = (name: string, inputs: Dense[], params: Record<string, string>) => async () => {
    const r = await runOp(name, inputs, Params.parse(params), ep);
    return { sessionMs: r.info?.sessionMs ?? 0, provider: r.info?.provider ?? 'none' };
  };
  const metric = (name: string, p: Dense, t: Dense) => async () => {
    const r = await runMetric(name, p, t, Params.parse({}), ep);
    return { sessionMs: r.sessionMs, provider: r.provider };
  };
  rows[`bmm 8x${n}^3`] = await measure(`bmm 8x${n}^3`, op('bmm', [rand([8, n, n], true), rand([8, n, n], true)], {}), ref);
  const img = rand([1, 64, s, s], true);
  for (const mode of ['nearest', 'bilinear', 'bicubic', 'area']) {
    const params: Record<string, string> = mode === 'area' ? { size: `${2 * s},${2 * s}`, mode } : { scale_factor: '2', mode };
    rows[`interpolate ${mode} 1x64x${s}^2 x2`] = await measure(`interpolate ${mode} 1x64x${s}^2 x2`, op('interpolate', [img], params), ref);
  }
  // a chain kept inside one graph: the intermediate tensors never leave the provider's device
  const chainInput = { dtype: 'float32' as const, shape: [1, 64, s, s], data: img.data as Float32Array };
  const chainName = `chain interpolate+softmax+sum 1x64x${s}^2`;
  rows[`${chainName} (one graph)`] = await measure(chainName, async () => {
    const { info } = await runGraph({ key: `bench-chain-${s}`, build: () => chainGraph(s), feeds: { x: chainInput }, providers: ep });
    return { sessionMs: info.sessionMs, provider: info.provider };
  }, ref, chainName);
  // three sessions; on webgpu the intermediates stay on the device (GPU-buffer outputs fed to the next session)
  const steps = [{ op: 'interpolate', params: { scale_factor: '2', mode: 'bilinear' } }, { op: 'softmax', params: { dim: '1' } }, { op: 'sum', params: { dim: '1' } }];
  rows[`${chainName} (3 sessions${ep[0] === 'webgpu' ? ', IO-bound' : ''})`] = await measure(chainName, async () => {
    const r = await runOpChain(steps, chainInput, ep[0]);
    return { sessionMs: r.sessionMs, provider: ep[0] };
  }, ref, chainName);
  const pred = rand([16, 1024, 1024]);
  const target = rand([16, 1024, 1024]);
  for (const m of ['mae', 'max_abs_diff', 'iou', 'cosine', 'cc', 'kld']) rows[`metric ${m} 16x1024^2`] = await measure(`metric ${m} 16x1024^2`, metric(m, pred, target), ref);

  ref.close();
  process.stdout.write(`compute bench: ours on ${ep.join('→')} vs torch ${torch.torch} on ${torch.device} (${torch.threads} threads; onnxruntime ${threads} threads), runs interleaved, median of ${reps}\n`);
  process.stdout.write(`${'case'.padEnd(56)} ${'ours ms'.padStart(9)} ${'torch ms'.padStart(9)} ${'ratio'.padStart(6)}  provider  (first-run session ms)\n`);
  const ratios: number[] = [];
  for (const [name, r] of Object.entries(rows)) {
    const ratio = r.ours / r.torch;
    ratios.push(ratio);
    process.stdout.write(`${name.padEnd(56)} ${r.ours.toFixed(2).padStart(9)} ${r.torch.toFixed(2).padStart(9)} ${ratio.toFixed(2).padStart(6)}  ${r.provider.padEnd(8)}  (${r.sessionMs.toFixed(0)})${ratio > 1.5 ? '  > 1.5×' : ''}\n`);
  }
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  process.stdout.write(`geometric mean ratio ${geo.toFixed(2)}; ${ratios.filter((r) => r <= 1.5).length}/${ratios.length} within 1.5×\n`);
}

main().catch((e: unknown) => { process.stderr.write(`compute bench: ${e instanceof Error ? e.message : String(e)}\n`); process.exitCode = 1; });
