/**
 * `tensorscope metric NAME --pred P.npy --target T.npy [--param k=v …] [--ep …] [--json]`
 * Prints the metric; with --json one object `{"value": …, "provider": …, "sessionMs": …, "runMs": …, …}`.
 */
import { checkFlags, parseArgs, providersFrom } from '../compute/cliArgs';
import { METRICS, METRIC_PARAMS, runMetric } from '../compute/metrics';
import { loadNpy } from '../compute/npyLoad';
import { Params } from '../compute/params';
import { settleTimings } from '../compute/autoChoice';

const USAGE = 'usage: tensorscope metric NAME --pred P.npy --target T.npy [--param k=v …] [--ep auto|cpu|webgpu|cuda,…] [--json]\n';

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, ['pred', 'target', 'param', 'ep']);
  checkFlags(a, ['json', 'help']);
  const pred = a.options.get('pred')?.[0];
  const target = a.options.get('target')?.[0];
  if (a.flags.has('help') || a.positional.length !== 1 || !pred || !target) {
    process.stdout.write(USAGE + `metrics:\n${METRICS.map((m) => `  ${m} ${Object.entries(METRIC_PARAMS[m]).map(([k, v]) => `${k}=${v}`).join(' ')}`).join('\n')}\n`);
    return a.flags.has('help') ? 0 : 2;
  }
  const res = await runMetric(a.positional[0], await loadNpy(pred), await loadNpy(target), Params.parse(a.options.get('param') ?? []), providersFrom(a));
  if (a.flags.has('json')) {
    process.stdout.write(JSON.stringify(res) + '\n');
  } else {
    process.stdout.write(`${res.metric} = ${res.value}\n`);
    if (res.perSample) process.stdout.write(`per sample: ${res.perSample.join(', ')}\n`);
    for (const [k, v] of Object.entries(res.details)) if (k !== 'per_sample_details') process.stdout.write(`  ${k}: ${JSON.stringify(v)}\n`);
    process.stdout.write(`ran on ${res.reason}\nsession ${res.sessionMs.toFixed(1)} ms, run ${res.runMs.toFixed(1)} ms (${res.runs} run(s))\n`);
    for (const f of res.fallbacks) process.stdout.write(`  (${f.provider} not used: ${f.error})\n`);
  }
  await settleTimings();
  return 0;
}
