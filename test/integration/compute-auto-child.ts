/**
 * Child process of compute-auto.test.ts (it needs the Vulkan environment of SwiftShader from its start):
 *   node --import tsx compute-auto-child.ts measure        auto on the real providers: first run, background timing, second run
 *   node --import tsx compute-auto-child.ts fast-webgpu    the same, with WebGPU's measured times divided by 10⁴ through
 *                                                          the timing seam (the choice logic itself is the real one)
 * Prints one JSON object: both runs' provider and reason, the stored choice, and whether the values agree with a
 * forced-CPU run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settleTimings, setTimingSeam, timingsPending } from '../../src/compute/autoChoice';
import { choiceStorePath } from '../../src/compute/choiceStore';
import { makeDense } from '../../src/compute/dense';
import { runOp } from '../../src/compute/ops';
import { Params } from '../../src/compute/params';

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'fast-webgpu') setTimingSeam((p, ms) => (p === 'webgpu' ? ms / 1e4 : ms));
  const n = 4 * 128 * 128;
  const a = makeDense('float32', [4, 128, 128], Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5));
  const b = makeDense('float32', [4, 128, 128], Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 0.5));
  const first = await runOp('bmm', [a, b], Params.parse({}), 'auto');
  const pendingAfterFirst = timingsPending();
  await settleTimings();
  const second = await runOp('bmm', [a, b], Params.parse({}), 'auto');
  const cpu = await runOp('bmm', [a, b], Params.parse({}), ['cpu']);
  let worst = 0;
  const x = second.tensor.data as Float32Array;
  const y = cpu.tensor.data as Float32Array;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1e-4 * Math.abs(y[i]) + 1e-5));
  const store = JSON.parse(readFileSync(choiceStorePath() as string, 'utf8')) as { scopes: Record<string, Record<string, unknown>> };
  process.stdout.write(JSON.stringify({
    first: { provider: first.info?.provider, reason: first.info?.reason },
    pendingAfterFirst,
    second: { provider: second.info?.provider, reason: second.info?.reason },
    store: Object.values(store.scopes).flatMap((s) => Object.entries(s)),
    storeFile: path.basename(choiceStorePath() as string),
    agrees: worst <= 1,
  }) + '\n');
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
