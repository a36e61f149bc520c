/**
 * `tensorscope trace SCRIPT.py [--python P] [--cwd DIR] [--json] [-- ARGS…]`: run a script under the shape
 * tracer; print every traced line's ops and shapes, and the failure explained, or (--json) the trace.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPython } from '../debug/session';
import { runTrace, type TraceRun } from '../debug/trace/runner';
import { explainTraceError } from '../debug/trace/explain';
import { opLines, opsByLine } from '../debug/trace/format';
import { writeOut } from './output';
import { optionValue } from './optionValue';

const USAGE = `usage: tensorscope trace SCRIPT.py [--python P] [--cwd DIR] [--json] [--root DIR]… [--max-seconds S] [--max-ops N] [-- ARGS…]
  runs SCRIPT.py (with ARGS, in DIR, default the current folder) and records the shapes of the torch ops
  called from your files: the script's folder, DIR and each --root (site-packages never count).
  --json         print only {"ops", "error", "elapsedMs", …} on stdout; the program's output goes to stderr
  --python P     the interpreter (default /usr/bin/python3 when it exists, else python3)
  --max-seconds  stop the program after S seconds, keeping the trace (default: no limit)
  --max-ops N    stop the program after N traced ops (default: no limit)
`;

interface TraceArgs {
  script: string;
  python: string;
  cwd?: string;
  json: boolean;
  roots: string[];
  maxSeconds: number;
  maxOps: number;
  scriptArgs: string[];
}

function parse(args: readonly string[]): TraceArgs | string {
  const out: TraceArgs = { script: '', python: defaultPython(), json: false, roots: [], maxSeconds: 0, maxOps: 0, scriptArgs: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => optionValue(args, ++i, a);
    const count = (what: string): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number ≥ 0`);
      return n;
    };
    try {
      if (a === '--') { out.scriptArgs = args.slice(i + 1); break; }
      else if (a === '--json') out.json = true;
      else if (a === '--python') out.python = value();
      else if (a === '--cwd') out.cwd = value();
      else if (a === '--root') out.roots.push(value());
      else if (a === '--max-seconds') out.maxSeconds = count(a);
      else if (a === '--max-ops') out.maxOps = Math.floor(count(a));
      else if (a === '-h' || a === '--help') return '';
      else if (a.startsWith('-')) return `unknown option ${a}`;
      else if (!out.script) out.script = a;
      else return `unexpected argument ${a} (the script's own arguments go after --)`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!out.script) return 'missing SCRIPT.py';
  return out;
}

function sourceLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return []; // shown without its source
  }
}

/** Each file's traced lines with their source text and ops, then the failure explained. */
export function traceText(run: TraceRun, script: string): string {
  const lines: string[] = [];
  const files = opsByLine(run.ops);
  const opCount = run.ops.reduce((n, o) => n + o.count + (o.more ?? 0), 0);
  const lineCount = [...files.values()].reduce((n, l) => n + l.size, 0);
  lines.push(`${script}: ${opCount} torch op call${opCount === 1 ? '' : 's'} traced on ${lineCount} line${lineCount === 1 ? '' : 's'} (torch ${run.torch ?? '?'}, ${(run.elapsedMs / 1000).toFixed(1)} s)`);
  const order = [...files.keys()].sort((a, b) => (a === script ? -1 : b === script ? 1 : a.localeCompare(b)));
  for (const file of order) {
    const source = sourceLines(file);
    lines.push('', file);
    const byLine = [...files.get(file)!.entries()].sort((a, b) => a[0] - b[0]);
    const width = String(byLine[byLine.length - 1]?.[0] ?? 0).length;
    for (const [line, ops] of byLine) {
      const code = (source[line - 1] ?? '').trim();
      lines.push(`  ${String(line).padStart(width)}  ${code.length > 100 ? `${code.slice(0, 99)}…` : code}`);
      for (const text of opLines(ops)) lines.push(`  ${' '.repeat(width)}    ${text}`);
    }
  }
  if (run.limit) lines.push('', `stopped: ${run.limit}`);
  if (run.dropped) lines.push('', `${run.dropped} op calls not recorded: the cap on recorded (line, op) pairs was reached`);
  if (run.error) {
    const e = run.error;
    const where = e.file ? `${e.file}:${e.line}` : 'outside your files';
    const why = explainTraceError(e);
    lines.push('', `error at ${where}: ${e.type}`);
    if (e.file && e.line) lines.push(`  ${e.line}  ${sourceLines(e.file)[e.line - 1]?.trim() ?? ''}`);
    lines.push(`  ${why.summary}`, ...why.details.map((d) => `  ${d}`));
  }
  return `${lines.join('\n')}\n`;
}

export async function run(args: string[]): Promise<number> {
  const a = parse(args);
  if (a === '') { process.stdout.write(USAGE); return 0; }
  if (typeof a === 'string') { process.stderr.write(`error: ${a}\n${USAGE}`); return 2; }
  const script = path.resolve(a.script);
  // Ctrl-C reaches the program too (same process group): it stops there and the partial trace is printed.
  const ignoreInterrupt = () => undefined;
  process.on('SIGINT', ignoreInterrupt);
  let result: TraceRun;
  try {
    result = await runTrace({
      script, python: a.python, cwd: a.cwd, args: a.scriptArgs, roots: a.roots.length ? [path.dirname(script), a.cwd ?? process.cwd(), ...a.roots] : undefined,
      maxSeconds: a.maxSeconds, maxOps: a.maxOps, output: a.json ? 'stderr' : 'inherit',
    });
  } finally {
    process.off('SIGINT', ignoreInterrupt);
  }
  if (result.fatal) { process.stderr.write(`error: ${result.fatal}\n`); return 1; }
  if (a.json) {
    const { ops, error, elapsedMs, limit, dropped, exitCode } = result;
    writeOut(`${JSON.stringify({ ops, error, elapsedMs, limit, dropped, exitCode })}\n`);
  } else {
    writeOut(traceText(result, script));
  }
  return 0;
}
