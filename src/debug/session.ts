/**
 * Run a Python script under debugpy (spawned `python -m debugpy.adapter`, spoken to over stdio)
 * until it stops at a line, outside VS Code: the CLI's `probe`/`autograd` and the tests use this.
 * initialize → launch → (initialized) setBreakpoints → configurationDone → stopped → stackTrace.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapClient, DapTimeoutError, spawnDebugpyAdapter, type SpawnedAdapter } from './dapClient';
import { DapEvaluator } from './evaluator';
import { TensorHelper } from './tensorHelper';

/** `/usr/bin/python3` on Linux when it exists (Debian's torch/debugpy live there), else `python3`. */
export function defaultPython(): string {
  if (process.env.TENSORSCOPE_PYTHON) return process.env.TENSORSCOPE_PYTHON;
  if (process.platform === 'linux' && existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  return process.platform === 'win32' ? 'python' : 'python3';
}

export interface StopOptions {
  script: string;
  line: number;
  python?: string;
  args?: string[];
  cwd?: string;
  /** how long the script may run before reaching the line, ms (default 60 s) */
  stopTimeoutMs?: number;
  /** per-request timeout, ms (default 10 s) */
  requestTimeoutMs?: number;
  justMyCode?: boolean;
  /** extra environment for the program (e.g. PYTHONPATH with the pydevd plugin folder) */
  env?: Record<string, string>;
}

export interface StoppedSession {
  client: DapClient;
  threadId: number;
  frameId: number;
  /** the top frame where it stopped */
  frame: DebugProtocol.StackFrame;
  helper: TensorHelper;
  evaluator: DapEvaluator;
  /** program output seen so far (bounded) */
  output(): string;
  close(): Promise<void>;
}

export async function runToLine(opts: StopOptions): Promise<StoppedSession> {
  const python = opts.python ?? defaultPython();
  const script = path.resolve(opts.script);
  if (!existsSync(script)) throw new Error(`${opts.script}: no such file`);
  const lineCount = readFileSync(script, 'utf8').replace(/\n$/, '').split('\n').length;
  if (!Number.isInteger(opts.line) || opts.line < 1 || opts.line > lineCount) {
    throw new Error(`${opts.script} has ${lineCount} lines: cannot stop at line ${opts.line}`);
  }
  const timeout = opts.requestTimeoutMs ?? 10000;
  const adapter: SpawnedAdapter = spawnDebugpyAdapter(python, { timeoutMs: timeout });
  const { client } = adapter;
  let out = '';
  client.on('event:output', (e: DebugProtocol.OutputEvent) => { if (out.length < 20000) out += e.body.output; });
  const close = async (): Promise<void> => {
    if (!client.closed) {
      await client.request('disconnect', { terminateDebuggee: true }, 3000).catch(() => undefined);
    }
    adapter.kill();
  };
  try {
    const spawnFailed = new Promise<never>((_, reject) => {
      adapter.process.once('error', (e) => reject(new Error(`cannot start ${python}: ${e.message}`)));
      adapter.process.once('exit', (code) => reject(new Error(
        `${python} -m debugpy.adapter exited (${code}): ${adapter.stderr().trim().split('\n').pop() ?? ''}`.trim())));
    });
    spawnFailed.catch(() => undefined);
    await Promise.race([client.request('initialize', {
      clientID: 'tensorscope', clientName: 'Tensorscope', adapterID: 'debugpy', pathFormat: 'path',
      linesStartAt1: true, columnsStartAt1: true, supportsVariableType: true, supportsRunInTerminalRequest: false,
    } satisfies DebugProtocol.InitializeRequestArguments, 15000), spawnFailed]);
    const initialized = client.waitForEvent('initialized', 30000);
    const launched = client.request('launch', {
      name: 'tensorscope', type: 'python', request: 'launch', program: script, args: opts.args ?? [],
      cwd: opts.cwd ?? path.dirname(script), python: [python], console: 'internalConsole',
      stopOnEntry: false, justMyCode: opts.justMyCode ?? true, redirectOutput: true, ...(opts.env ? { env: opts.env } : {}),
    }, 30000);
    launched.catch(() => undefined);
    await Promise.race([initialized, launched.then(() => initialized), spawnFailed]);
    const bp = await client.request<DebugProtocol.SetBreakpointsResponse['body']>('setBreakpoints', {
      source: { path: script }, breakpoints: [{ line: opts.line }], lines: [opts.line],
    } satisfies DebugProtocol.SetBreakpointsArguments);
    const stopped = client.waitForEvent<DebugProtocol.StoppedEvent>('stopped', opts.stopTimeoutMs ?? 60000);
    const terminated = client.waitForEvent('terminated', (opts.stopTimeoutMs ?? 60000) + 1000).then(() => {
      throw new Error(`${opts.script} finished without stopping at line ${opts.line}` +
        (bp.breakpoints[0] && !bp.breakpoints[0].verified ? ` (breakpoint not verified: ${bp.breakpoints[0].message ?? 'no code there'})` : '') +
        lastLine(out));
    });
    terminated.catch(() => undefined);
    await client.request('configurationDone', {});
    await launched;
    const ev = await Promise.race([stopped, terminated]).catch((e: unknown) => {
      if (e instanceof DapTimeoutError) throw new Error(`${opts.script} did not reach line ${opts.line} within ${(opts.stopTimeoutMs ?? 60000) / 1000} s`);
      throw e;
    });
    const threadId = ev.body.threadId ?? 1;
    const st = await client.request<DebugProtocol.StackTraceResponse['body']>('stackTrace', { threadId, startFrame: 0, levels: 1 });
    const frame = st.stackFrames[0];
    if (!frame) throw new Error('stopped without a stack frame');
    const evaluator = new DapEvaluator(client, timeout);
    return { client, threadId, frameId: frame.id, frame, helper: new TensorHelper(evaluator), evaluator, output: () => out, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function lastLine(out: string): string {
  const lines = out.trim().split('\n').filter(Boolean);
  const last = lines.pop();
  return last ? `; last output: ${last.slice(0, 200)}` : '';
}
