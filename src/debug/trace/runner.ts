/**
 * Runs a Python script under the shape tracer (src/debug/python/tensorscope_trace.py) and reads its result.
 *
 *   runTrace({ script, python, args, cwd, env, roots, output, signal }) → TraceRun
 *
 * The program's stdout/stderr go where `output` says (never into the trace: the tracer writes its JSON to
 * a file in a temporary folder). Aborting `signal` interrupts the program (SIGINT, as Ctrl-C), which keeps
 * what was traced so far; a program that ignores it is killed after `killAfterMs`.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTrace, type TraceResult } from './result';

export const TRACER_FILE = 'tensorscope_trace.py';

/** The tracer next to the bundle (dist/), or in the source tree when run from src/ (tests through tsx). */
export function tracerPath(): string {
  const candidates = [path.join(__dirname, TRACER_FILE), path.join(__dirname, '..', 'python', TRACER_FILE)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the shape tracer ${TRACER_FILE} is missing (looked in ${candidates.join(', ')})`);
  return found;
}

export type TraceOutput =
  /** the program writes to this process's stdout and stderr (a terminal stays a terminal) */
  | 'inherit'
  /** both to this process's stderr (keeps stdout for a JSON result) */
  | 'stderr'
  /** each chunk to a callback */
  | ((text: string, stream: 'stdout' | 'stderr') => void);

export interface TraceOptions {
  script: string;
  python: string;
  args?: readonly string[];
  /** working directory of the program (default: this process's) */
  cwd?: string;
  /** the program's whole environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** folders whose .py files count as the user's (default: the script's folder and `cwd`); site-packages never do */
  roots?: readonly string[];
  /** stop the program after this many seconds, keeping the trace (0: no limit) */
  maxSeconds?: number;
  /** stop the program after this many traced ops (0: no limit) */
  maxOps?: number;
  /** most (file, line, op) entries kept */
  maxRecords?: number;
  output?: TraceOutput;
  signal?: AbortSignal;
  killAfterMs?: number;
}

export interface TraceRun extends TraceResult {
  /** wall time of the whole run, interpreter start-up included */
  elapsedMs: number;
}

export async function runTrace(opts: TraceOptions): Promise<TraceRun> {
  const script = path.resolve(opts.script);
  if (!existsSync(script)) throw new Error(`${opts.script}: no such file`);
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  if (!existsSync(cwd)) throw new Error(`${opts.cwd}: no such folder`);
  const roots = opts.roots?.length ? opts.roots : [path.dirname(script), cwd];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-trace-'));
  const out = path.join(tmp, 'trace.json');
  const argv = [tracerPath(), '--out', out];
  for (const r of roots) argv.push('--root', path.resolve(r));
  if (opts.maxSeconds) argv.push('--max-seconds', String(opts.maxSeconds));
  if (opts.maxOps) argv.push('--max-ops', String(Math.floor(opts.maxOps)));
  if (opts.maxRecords) argv.push('--max-records', String(Math.floor(opts.maxRecords)));
  argv.push('--', script, ...(opts.args ?? []));

  const output = opts.output ?? 'inherit';
  const stdio: StdioOptions = output === 'inherit' ? 'inherit' : output === 'stderr' ? ['inherit', 2, 2] : ['ignore', 'pipe', 'pipe'];
  const started = performance.now();
  try {
    const child = spawn(opts.python, argv, { cwd, env: opts.env ?? process.env, stdio });
    if (typeof output === 'function') {
      child.stdout?.setEncoding('utf8').on('data', (s: string) => output(s, 'stdout'));
      child.stderr?.setEncoding('utf8').on('data', (s: string) => output(s, 'stderr'));
    }
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 5000);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    // A program that never reaches an op can outlive --max-seconds; the tracer interrupts it, this is the backstop.
    const backstop = opts.maxSeconds ? setTimeout(onAbort, (opts.maxSeconds + 30) * 1000) : undefined;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${opts.python}: ${e.message}`)));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(killTimer);
    clearTimeout(backstop);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!existsSync(out)) {
      const how = exit.signal ? `was killed (${exit.signal})` : `exited with status ${exit.code}`;
      throw new Error(`${opts.python} ${how} before the tracer wrote its result${opts.signal?.aborted ? ' (cancelled)' : ''}`);
    }
    const result = parseTrace(readFileSync(out, 'utf8'));
    return { ...result, elapsedMs: Math.round((performance.now() - started) * 10) / 10 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
