/**
 * `tensorscope stats PATH [PATTERN …] [--json] [--histogram]`: statistics of a checkpoint's tensors
 * (all, or those whose names match a substring, glob or re:REGEX pattern: core/namePattern.ts), with progress on stderr when it is a terminal.
 */
import type { TensorInfo } from '../core/model';
import { openForCli } from './openForCli';
import { computeStats, statsJson } from '../core/stats/index';
import { parseSwitches } from './switches';
import { printError, terminalText } from './terminalText';
import { anyNamePattern } from '../core/namePattern';
import { errorMessage } from '../core/errors';
import { ViewWork, isSkipped } from '../core/viewWork';
import { ChunkedOut } from './output';

const USAGE = 'usage: tensorscope stats PATH [PATTERN …] [--json] [--histogram]\n';


function fmt(v: number | null): string {
  if (v === null) return '-';
  if (v === 0) return '0';
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(4) : v.toPrecision(6);
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseSwitches(args, ['--json', '--histogram'], USAGE);
  if (typeof parsed === 'number') return parsed;
  const json = parsed.on.has('--json');
  const histogram = parsed.on.has('--histogram');
  const [path, ...patterns] = parsed.positional;
  if (!path) { process.stderr.write(USAGE); return 2; }
  const ck = await openForCli(path);
  if (!ck) return 1;
  try {
    const match = anyNamePattern(patterns);
    if (match.error) { printError(undefined, match.error); return 2; }
    const chosen: TensorInfo[] = ck.tensors.filter((t) => t.layout === 'strided' && match.test(t.name));
    if (!chosen.length) {
      printError(path, `no tensor matches ${patterns.join(' ')}`);
      return 1;
    }
    const tty = process.stderr.isTTY === true;
    const rows: Array<{ name: string; dtype: string; shape: number[]; stats: ReturnType<typeof statsJson> | { error: string } }> = [];
    // identical views once, the reading bounded by the stored bytes (hostile files: 300k names over one storage)
    const work = new ViewWork(chosen);
    for (const [i, t] of chosen.entries()) {
      if (tty) process.stderr.write(`\r${i + 1}/${chosen.length} ${terminalText(t.name.slice(0, 60))}\x1b[K`);
      try {
        const r = await work.run([t], () => computeStats(t));
        if (isSkipped(r)) { rows.push({ name: t.name, dtype: t.dtype, shape: t.shape, stats: { error: r.skipped } }); continue; }
        const s = statsJson(r, t.dtype);
        if (s && !histogram) s.histogram = null;
        rows.push({ name: t.name, dtype: t.dtype, shape: t.shape, stats: s });
      } catch (err) {
        rows.push({ name: t.name, dtype: t.dtype, shape: t.shape, stats: { error: errorMessage(err).split('\n')[0] } });
      }
    }
    if (tty) process.stderr.write('\r\x1b[K');
    const out = new ChunkedOut();
    if (json) {
      out.add(`${JSON.stringify({ path, format: ck.format }).slice(0, -1)},"tensors":[`);
      rows.forEach((r, i) => out.add(i ? `,${JSON.stringify(r)}` : JSON.stringify(r)));
      out.add(']}\n');
      out.flush();
      return 0;
    }
    // a loop, not Math.max(...rows): spreading a million rows overflows the call stack
    let w = 4;
    for (const r of rows) w = Math.max(w, terminalText(r.name).length);
    w = Math.min(60, w);
    const head = ['min', 'max', 'mean', 'std'].map((h) => h.padStart(12)).join(' ');
    out.add(`${'name'.padEnd(w)}  ${'dtype'.padEnd(9)} ${head}  nan  inf  zeros\n`);
    for (const r of rows) {
      const s = r.stats;
      const cols = !s ? ' '.repeat(51) + (r.shape.includes(0) ? 'empty' : 'no real values')
        : 'error' in s ? `error: ${s.error}`
        : [s.min, s.max, s.mean, s.std].map((v) => fmt(v).padStart(12)).join(' ') + `  ${String(s.nan).padStart(3)}  ${String(s.inf).padStart(3)}  ${s.zeros}`;
      out.add(`${terminalText(r.name || '(root)').padEnd(w)}  ${r.dtype.padEnd(9)} ${terminalText(cols)}\n`);
    }
    out.flush();
    return 0;
  } finally {
    await ck.close().catch(() => undefined);
  }
}
