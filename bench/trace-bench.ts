/**
 * Shape tracer overhead (issue #11): a 200-op forward pass repeated 50 times (bench/trace_bench_model.py),
 * run untraced and under the tracer by turns; the figure is the median of the loop's own CPU time (torch on
 * one thread; interpreter start and torch import excluded; CPU time so that other load on the machine does
 * not blur the ratio) and its ratio traced/untraced. Aim: ≤ 3×. Also printed: the same with
 * tiny tensors (an op then costs little more than its dispatch, the tracer's worst case) and the whole
 * run's wall time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runTrace } from '../src/debug/trace/runner';
import { errorMessage } from '../src/core/errors';

const root = path.resolve(__dirname, '..');
const model = path.join(root, 'bench', 'trace_bench_model.py');
const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const rounds = Number(process.env.TRACE_BENCH_ROUNDS ?? 5);
// the forward passes' ops lie between the first `def forward` and the model's construction (module set-up excluded)
const source = readFileSync(model, 'utf8').split('\n');
const forwardLines = [source.findIndex((l) => l.includes('def forward')) + 1, source.findIndex((l) => l.startsWith('net = Net(')) + 1];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function untraced(args: string[]): { loop: number; wall: number } {
  const t0 = performance.now();
  const r = spawnSync(python, [model, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} ${model}: ${r.stderr.trim().split('\n').pop()}`);
  return { loop: Number(r.stdout.trim()) * 1000, wall: performance.now() - t0 };
}

async function traced(args: string[]): Promise<{ loop: number; wall: number; opsPerForward: number }> {
  let out = '';
  const t = await runTrace({ script: model, python, args, output: (s, stream) => { if (stream === 'stdout') out += s; } });
  if (t.error || t.fatal) throw new Error(`traced run failed: ${t.fatal ?? t.error?.message}`);
  const forwards = Number(args[0]) + 1; // plus the warm-up pass
  const ops = t.ops.filter((o) => !o.call && o.line > forwardLines[0]! && o.line < forwardLines[1]!).reduce((n, o) => n + o.count + (o.more ?? 0), 0);
  return { loop: Number(out.trim()) * 1000, wall: t.elapsedMs, opsPerForward: ops / forwards };
}

async function compare(label: string, args: string[]): Promise<void> {
  const plain: { loop: number; wall: number }[] = [];
  const under: { loop: number; wall: number; opsPerForward: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    plain.push(untraced(args));
    under.push(await traced(args));
  }
  const p = median(plain.map((r) => r.loop));
  const t = median(under.map((r) => r.loop));
  const opsPerForward = Math.round(median(under.map((r) => r.opsPerForward)));
  const perOpUs = ((t - p) * 1000) / (opsPerForward * Number(args[0]));
  console.log(`trace ${label}: ${opsPerForward} ops/forward ×${args[0]}: untraced ${p.toFixed(1)} ms, traced ${t.toFixed(1)} ms → ${(t / p).toFixed(2)}× (${perOpUs.toFixed(1)} µs per op; median of ${rounds}, by turns)`);
  console.log(`trace ${label}: whole run (start-up, import, trace file): untraced ${median(plain.map((r) => r.wall)).toFixed(0)} ms, traced ${median(under.map((r) => r.wall)).toFixed(0)} ms`);
}

async function main(): Promise<void> {
  await compare('forward', ['50']);
  await compare('tiny tensors', ['50', 'tiny']);
}

main().catch((e: unknown) => {
  console.error(`trace bench: ${errorMessage(e)}`);
  process.exitCode = 1;
});
