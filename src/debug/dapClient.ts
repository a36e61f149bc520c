/**
 * A small Debug Adapter Protocol client: Content-Length framing over any pair of streams (a spawned
 * adapter's stdio, or a TCP socket), requests with timeouts, events and reverse requests.
 * Pure Node — no `vscode` import — so the CLI and the tests drive debugpy with it.
 */
import { EventEmitter } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readMessages, writeMessage } from './dapFraming';

export class DapTimeoutError extends Error {
  constructor(readonly command: string, readonly ms: number) {
    super(`debug adapter did not answer '${command}' within ${ms} ms`);
    this.name = 'DapTimeoutError';
  }
}

/** A failed request: the adapter's one-line message (for evaluate, the Python exception). */
export class DapRequestError extends Error {
  constructor(readonly command: string, message: string) {
    super(message);
    this.name = 'DapRequestError';
  }
}

interface Pending {
  command: string;
  resolve(r: DebugProtocol.Response): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export interface DapClientOptions {
  /** default timeout per request, ms */
  timeoutMs?: number;
  /** called with every message, for tracing */
  trace?: (dir: 'in' | 'out', msg: DebugProtocol.ProtocolMessage) => void;
}

export class DapClient extends EventEmitter {
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | null = null;
  readonly timeoutMs: number;

  constructor(private readonly input: Readable, private readonly output: Writable, private readonly options: DapClientOptions = {}) {
    super();
    this.timeoutMs = options.timeoutMs ?? 10000;
    readMessages(input, (m) => this.dispatch(m));
    input.on('close', () => this.fail(new Error('debug adapter closed the connection')));
    input.on('error', (e: Error) => this.fail(e));
    output.on('error', (e: Error) => this.fail(e));
  }

  /** Send a request; resolves with the response body, rejects on failure or after `timeoutMs`. */
  request<B = unknown>(command: string, args?: unknown, timeoutMs = this.timeoutMs): Promise<B> {
    if (this.closedError) return Promise.reject(this.closedError);
    const seq = this.seq++;
    const msg: DebugProtocol.Request = { seq, type: 'request', command, arguments: args };
    return new Promise<B>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new DapTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(seq, {
        command,
        resolve: (r) => resolve(r.body as B),
        reject,
        timer,
      });
      this.send(msg);
    });
  }

  /** Wait for the next event named `event` (optionally matching `filter`), with a timeout. */
  waitForEvent<E extends DebugProtocol.Event>(event: string, timeoutMs = this.timeoutMs, filter?: (e: E) => boolean): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      const onEvent = (e: E): void => {
        if (filter && !filter(e)) return;
        cleanup();
        resolve(e);
      };
      const onClose = (err: Error): void => { cleanup(); reject(err); };
      const timer = setTimeout(() => { cleanup(); reject(new DapTimeoutError(`event ${event}`, timeoutMs)); }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off(`event:${event}`, onEvent);
        this.off('closed', onClose);
      };
      this.on(`event:${event}`, onEvent);
      this.on('closed', onClose);
    });
  }

  private send(msg: DebugProtocol.ProtocolMessage): void {
    this.options.trace?.('out', msg);
    writeMessage(this.output, msg);
  }

  private dispatch(msg: DebugProtocol.ProtocolMessage): void {
    this.options.trace?.('in', msg);
    if (msg.type === 'response') {
      const r = msg as DebugProtocol.Response;
      const p = this.pending.get(r.request_seq);
      if (!p) return;
      this.pending.delete(r.request_seq);
      clearTimeout(p.timer);
      if (r.success) p.resolve(r);
      else {
        const err = (r.body as { error?: DebugProtocol.Message } | undefined)?.error;
        p.reject(new DapRequestError(p.command, r.message ?? err?.format ?? `${p.command} failed`));
      }
    } else if (msg.type === 'event') {
      const e = msg as DebugProtocol.Event;
      this.emit(`event:${e.event}`, e);
      this.emit('event', e);
    } else if (msg.type === 'request') {
      const req = msg as DebugProtocol.Request;
      // Reverse requests (runInTerminal, startDebugging): we run everything in-process, so refuse politely.
      const resp: DebugProtocol.Response = {
        seq: this.seq++, type: 'response', request_seq: req.seq, command: req.command,
        success: false, message: `${req.command} is not supported by this client`,
      };
      this.send(resp);
    }
  }

  private fail(e: Error): void {
    if (this.closedError) return;
    this.closedError = e;
    for (const [, p] of this.pending) { clearTimeout(p.timer); p.reject(e); }
    this.pending.clear();
    this.emit('closed', e);
  }

  get closed(): boolean { return this.closedError !== null; }
}

/** A DAP client talking to a spawned `python -m debugpy.adapter` over its stdio. */
export interface SpawnedAdapter {
  client: DapClient;
  process: ChildProcess;
  /** stderr of the adapter (bounded), for error messages */
  stderr(): string;
  kill(): void;
}

export function spawnDebugpyAdapter(python: string, options: DapClientOptions = {}): SpawnedAdapter {
  const child = spawn(python, ['-m', 'debugpy.adapter'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => { if (err.length < 8000) err += b.toString(); });
  const client = new DapClient(child.stdout!, child.stdin!, options);
  child.on('error', (e) => client.emit('closed', e));
  return {
    client,
    process: child,
    stderr: () => err,
    kill: () => { if (child.exitCode === null && !child.killed) child.kill('SIGKILL'); },
  };
}

/** Connect to a DAP server on a TCP port (e.g. `debugpy.adapter --port`). */
export function connectDap(port: number, host = '127.0.0.1', options: DapClientOptions = {}): Promise<{ client: DapClient; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => resolve({ client: new DapClient(socket, socket, options), socket }));
    socket.once('error', reject);
  });
}
