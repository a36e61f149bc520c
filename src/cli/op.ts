/**
 * `tensorscope op NAME --in A.npy [--in B.npy …] [--param k=v …] [--ep cpu|webgpu|cuda] [--out R.npy] [--json]`
 * Runs one op (torch semantics) over .npy inputs; prints the result's shape, dtype, strides (views keep the
 * input's storage, as torch) and which provider ran it; `--out` writes the materialized result.
 */
import { writeNpy } from '../core/npyWrite';
import { checkFlags, parseArgs, providersFrom } from '../compute/cliArgs';
import { strideOf } from '../compute/dense';
import { loadNpy } from '../compute/npyLoad';
import { OPS, runOp } from '../compute/ops';
import { Params } from '../compute/params';
import { materialize } from '../compute/views';
import { settleTimings } from '../compute/autoChoice';

const USAGE = 'usage: tensorscope op NAME --in A.npy [--in B.npy …] [--param k=v …] [--ep auto|cpu|webgpu|cuda,…] [--out R.npy] [--json]\n  --ep: providers in this order (default auto: the fastest measured on this machine)\n';

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, ['in', 'param', 'ep', 'out']);
  checkFlags(a, ['json', 'help']);
  if (a.flags.has('help') || a.positional.length !== 1) {
    process.stdout.write(USAGE + `ops:\n${[...OPS.values()].map((s) => `  ${s.signature}`).join('\n')}\n`);
    return a.flags.has('help') ? 0 : 2;
  }
  const name = a.positional[0];
  const providers = providersFrom(a);
  const params = Params.parse(a.options.get('param') ?? []);
  const inputs = await Promise.all((a.options.get('in') ?? []).map((f) => loadNpy(f)));
  const res = await runOp(name, inputs, params, providers);
  const out = a.options.get('out')?.[0];
  let info = res.info;
  if (out) {
    const m = await materialize(res.tensor, { providers });
    info = info ?? m.info;
    await writeNpy(out, m.tensor);
  }
  const t = res.tensor;
  const summary = {
    op: name,
    dtype: t.dtype,
    shape: t.shape,
    stride: strideOf(t),
    storageOffset: t.offset ?? 0,
    view: res.isView,
    provider: info?.provider ?? null,
    reason: info?.reason ?? null,
    sessionMs: info?.sessionMs ?? null,
    runMs: info?.runMs ?? null,
    fallbacks: info?.fallbacks ?? [],
    notes: res.notes,
    out: out ?? null,
  };
  if (a.flags.has('json')) {
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    process.stdout.write(`${name}: ${t.dtype} shape (${t.shape.join(', ')}) stride (${summary.stride.join(', ')}) offset ${summary.storageOffset}${res.isView ? ' — a view of the input' : ''}\n`);
    if (info) process.stdout.write(`ran on ${info.reason}\nsession ${info.sessionMs.toFixed(1)} ms${info.cached ? ' (cached)' : ''}, run ${info.runMs.toFixed(1)} ms\n`);
    for (const f of info?.fallbacks ?? []) process.stdout.write(`  (${f.provider} not used: ${f.error})\n`);
    for (const n of res.notes) process.stdout.write(`note: ${n}\n`);
    if (out) process.stdout.write(`wrote ${out}\n`);
  }
  // auto's background timings end before the process does, so their choice is kept
  await settleTimings();
  return 0;
}
