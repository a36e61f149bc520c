/**
 * In-process listing time (no process start-up): openCheckpoint + a JSON listing, in ms: the median of N
 * runs after N warm-up runs, so the figure is the reader's steady state (the JIT has compiled it), as the
 * Python stub's figure is CPython's.
 */
import { openCheckpoint } from '../src/core/open';

async function main(): Promise<void> {
  const [p, repsArg] = process.argv.slice(2);
  const reps = Number(repsArg ?? 5);
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < 2 * reps; i++) {
    const t0 = performance.now();
    const ck = await openCheckpoint(p);
    const json = JSON.stringify(ck.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, stride: t.stride, storage: t.storage?.key })));
    count = json.length > 0 ? ck.tensors.length : 0;
    await ck.close();
    if (i >= reps) times.push(performance.now() - t0); // the first `reps` runs warm the JIT
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`${times[Math.floor(times.length / 2)].toFixed(1)} ${count}\n`);
}
void main();
