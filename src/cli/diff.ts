/**
 * `tensorscope diff A B [--json] [--ep …] [--a-key K] [--b-key K] [--strip P,…]` — loading B into a model whose
 * state dict is A, as `load_state_dict(strict=True)` sees it: the state dict found inside each file (training
 * checkpoints hold optimizer and callback state too), wrapper prefixes aligned, missing / unexpected keys, size
 * and dtype mismatches, then max_abs_diff / mae / cosine per matched tensor through the provider chain.
 */
import { openForCli } from './openForCli';
import { terminalText } from './terminalText';
import { ChunkedOut } from './output';
import { checkFlags, parseArgs, providersFrom } from '../compute/cliArgs';
import type { SideOptions } from '../compute/diffValues';
import { diffCheckpoints } from '../compute/diffValues';
import { settleTimings } from '../compute/autoChoice';

const USAGE = `usage: tensorscope diff A B [--json] [--ep auto|cpu|webgpu|cuda,…] [--a-key K] [--b-key K] [--strip P,…]
  A: the model's state dict (expected keys), B: the one being loaded
  --a-key K, --b-key K   the state dict is the file's K (\`state_dict\`, \`model\`, …; '' = the whole file)
                         instead of the one found
  --strip P,…            remove these key prefixes (\`module.\`, \`model.\`, …) instead of detecting them;
                         'none' removes nothing; --a-strip / --b-strip for one side
`;

const prefixList = (v: string): string[] => (v === 'none' || v === '' ? [] : v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => (p.endsWith('.') ? p : `${p}.`)));

function sideOptions(options: Map<string, string[]>, side: 'a' | 'b'): SideOptions {
  const o: SideOptions = {};
  const key = options.get(`${side}-key`)?.at(-1);
  if (key !== undefined) o.key = key;
  const strip = options.get(`${side}-strip`)?.at(-1) ?? options.get('strip')?.at(-1);
  if (strip !== undefined) o.strip = prefixList(strip);
  return o;
}

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, ['ep', 'a-key', 'b-key', 'strip', 'a-strip', 'b-strip']);
  checkFlags(a, ['json', 'help']);
  if (a.flags.has('help') || a.positional.length !== 2) {
    process.stdout.write(USAGE);
    return a.flags.has('help') ? 0 : 2;
  }
  const [pa, pb] = a.positional;
  const ca = await openForCli(pa);
  if (!ca) return 1;
  const cb = await openForCli(pb);
  if (!cb) {
    await ca.close();
    return 1;
  }
  try {
    const d = await diffCheckpoints(ca, cb, providersFrom(a), { a: sideOptions(a.options, 'a'), b: sideOptions(a.options, 'b') });
    const out = new ChunkedOut();
    if (a.flags.has('json')) {
      out.add(JSON.stringify(d) + '\n');
      out.flush();
      return 0;
    }
    // every line escaped: keys and messages come from the files
    const w = { write: (text: string) => out.add(terminalText(text.slice(0, -1)) + '\n') };
    w.write(`A: ${d.choice.a.text}\n`);
    w.write(`B: ${d.choice.b.text}\n`);
    w.write(d.strictOk ? 'load_state_dict(strict=True) would succeed\n' : `load_state_dict(strict=True) would fail: ${d.missing.length} missing, ${d.unexpected.length} unexpected, ${d.shapeMismatch.length} size mismatch${d.shapeMismatch.length === 1 ? '' : 'es'}\n`);
    w.write(`missing keys (${d.missing.length}): ${d.missing.join(', ') || '—'}\n`);
    w.write(`unexpected keys (${d.unexpected.length}): ${d.unexpected.join(', ') || '—'}\n`);
    for (const s of d.shapeMismatch) w.write(`${s.message}\n`);
    for (const s of d.dtypeMismatch) w.write(`dtype mismatch for ${s.key}: ${s.bDtype} in B, ${s.aDtype} in A (load_state_dict casts)\n`);
    const rows = [...d.tensors].sort((x, y) => (y.max_abs_diff ?? -1) - (x.max_abs_diff ?? -1));
    // a loop, not Math.max(...rows): spreading a million rows overflows the call stack
    let width = 6;
    for (const r of rows) width = Math.max(width, terminalText(r.key).length);
    w.write('\n');
    w.write(`${'tensor'.padEnd(width)}  ${'shape'.padEnd(16)} ${'max_abs_diff'.padStart(13)} ${'mae'.padStart(13)} ${'cosine'.padStart(10)}\n`);
    const f = (v: number | null, digits = 6) => (v === null ? '—' : v.toPrecision(digits));
    for (const r of rows) {
      w.write(`${terminalText(r.key).padEnd(width)}  ${r.shape.join('×').padEnd(16)} ${f(r.max_abs_diff).padStart(13)} ${f(r.mae).padStart(13)} ${f(r.cosine).padStart(10)}${r.skipped ? `  (${r.skipped})` : ''}\n`);
    }
    if (d.provider) w.write('\n');
    if (d.provider) w.write(`ran on ${d.reason ?? d.provider}; session ${d.sessionMs.toFixed(1)} ms, runs ${d.runMs.toFixed(1)} ms\n`);
    out.flush();
    return 0;
  } finally {
    await settleTimings();
    await ca.close();
    await cb.close();
  }
}
