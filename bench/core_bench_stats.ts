/** Fallback when the inspect CLI is missing: open + list (+ statistics) through the core API. */
import { openCheckpoint } from '../src/core/open';
import { computeStatsMany, statsJson } from '../src/core/stats';

async function main(): Promise<void> {
  const [p, flag] = process.argv.slice(2);
  const ck = await openCheckpoint(p);
  const tensors = ck.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, stride: t.stride }));
  let stats: unknown[] = [];
  if (flag === '--stats') stats = (await computeStatsMany(ck.tensors)).map((s, i) => (s instanceof Error ? s.message : statsJson(s, ck.tensors[i].dtype)));
  process.stdout.write(JSON.stringify({ format: ck.format, tensors, stats }).slice(0, 0));
  await ck.close();
}
void main();
