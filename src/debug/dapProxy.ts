/**
 * A DAP proxy in front of debugpy's adapter, for our `tensorscope-python` debug type. VS Code shows
 * the adapter's `evaluate(context: 'hover')` answer while stopped and hides extension hovers, so the
 * proxy puts the tensor line there instead of debugpy's repr (`tensor[2, 3, 224, 224] float32 cuda:0
 * n=… x∈[…] μ=… σ=…`), and the same compact line as the value of tensor variables in the Variables
 * view. Every other message passes through untouched. Our own questions go to the adapter with our
 * own sequence numbers (all client requests are renumbered, so they cannot collide) and their
 * answers are never forwarded.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { DapClient, type DapClientOptions, type SpawnedAdapter } from './dapClient';
import { readMessages, writeMessage } from './dapFraming';
import type { Evaluator } from './evaluator';
import { TensorHelper } from './tensorHelper';
import { isSafeExpression } from './expression';
import { isLiveTensor, type LiveValue } from './protocol';
import { shapeText, tensorLine, valueLine } from './format';

export interface ProxyOptions {
  /** rewrite hover evaluations of tensors (default true) */
  hover?: () => boolean;
  /** rewrite tensor values in `variables` responses (default true) */
  variables?: () => boolean;
  /** timeout of one own question, ms */
  timeoutMs?: () => number;
}

interface Held { req: DebugProtocol.Request; resolve?: (r: DebugProtocol.Response) => void }

export class DapProxy {
  private seq = 1;
  private readonly held = new Map<number, Held>();
  /** variablesReference → frame id, learned from scopes/variables responses */
  private readonly refFrame = new Map<number, number>();
  readonly helper: TensorHelper;

  constructor(private readonly toAdapter: Writable, fromAdapter: Readable, private readonly toClient: (m: DebugProtocol.ProtocolMessage) => void,
    private readonly options: ProxyOptions = {}) {
    readMessages(fromAdapter, (m) => { void this.fromAdapter(m); });
    const evaluator: Evaluator = { evaluate: (expression, frameId) => this.evaluate(expression, frameId) };
    this.helper = new TensorHelper(evaluator);
  }

  /** A message from the client (VS Code). */
  fromClient(msg: DebugProtocol.ProtocolMessage): void {
    if (msg.type === 'request') {
      const req = msg as DebugProtocol.Request;
      const seq = this.seq++;
      this.held.set(seq, { req });
      writeMessage(this.toAdapter, { ...req, seq });
      return;
    }
    writeMessage(this.toAdapter, msg); // responses to reverse requests keep the adapter's numbering
  }

  private async fromAdapter(msg: DebugProtocol.ProtocolMessage): Promise<void> {
    if (msg.type !== 'response') {
      if (msg.type === 'event' && ((msg as DebugProtocol.Event).event === 'continued' || (msg as DebugProtocol.Event).event === 'stopped')) this.refFrame.clear();
      this.toClient(msg);
      return;
    }
    const res = msg as DebugProtocol.Response;
    const held = this.held.get(res.request_seq);
    if (!held) { this.toClient(res); return; }
    this.held.delete(res.request_seq);
    if (held.resolve) { held.resolve(res); return; } // one of our own questions
    const out: DebugProtocol.Response = { ...res, request_seq: held.req.seq };
    try {
      await this.rewrite(held.req, out);
    } catch { /* leave the adapter's answer as it was */ }
    this.toClient(out);
  }

  private async rewrite(req: DebugProtocol.Request, res: DebugProtocol.Response): Promise<void> {
    if (!res.success) return;
    if (req.command === 'scopes') {
      const frameId = (req.arguments as DebugProtocol.ScopesArguments).frameId;
      for (const s of (res.body as DebugProtocol.ScopesResponse['body']).scopes) if (s.variablesReference) this.refFrame.set(s.variablesReference, frameId);
    } else if (req.command === 'variables') {
      const parent = (req.arguments as DebugProtocol.VariablesArguments).variablesReference;
      const frameId = this.refFrame.get(parent);
      const vars = (res.body as DebugProtocol.VariablesResponse['body']).variables;
      if (frameId === undefined) return;
      for (const v of vars) if (v.variablesReference) this.refFrame.set(v.variablesReference, frameId);
      if (this.options.variables && !this.options.variables()) return;
      const candidates = vars.filter((v) => v.evaluateName && looksLikeTensor(v));
      if (!candidates.length) return;
      const got = await this.helper.summaries(candidates.map((v) => v.evaluateName!), frameId);
      for (const v of candidates) {
        const d = got[v.evaluateName!];
        if (d) v.value = compactLine(d);
      }
    } else if (req.command === 'evaluate') {
      const args = req.arguments as DebugProtocol.EvaluateArguments;
      if (args.context !== 'hover' || args.frameId === undefined || (this.options.hover && !this.options.hover())) return;
      if (!isSafeExpression(args.expression).ok) return;
      const a = await this.helper.hover(args.expression, args.frameId);
      if ('error' in a) return;
      const body = res.body as DebugProtocol.EvaluateResponse['body'];
      if (isLiveTensor(a)) body.result = `${tensorLine(a)}  stride ${shapeText(a.stride)}${a.contiguous ? '' : ' (not contiguous)'}`;
      else if ((a.kind === 'list' || a.kind === 'tuple' || a.kind === 'dict') && a.tensors) body.result = valueLine(a);
    }
  }

  /** Our own evaluate, through the adapter, answered to us only. */
  private evaluate(expression: string, frameId: number): Promise<string> {
    const seq = this.seq++;
    const ms = this.options.timeoutMs?.() ?? 5000;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { this.held.delete(seq); reject(new Error(`the debuggee did not answer within ${ms} ms`)); }, ms);
      const req: DebugProtocol.EvaluateRequest = { seq, type: 'request', command: 'evaluate', arguments: { expression, frameId, context: 'clipboard' } };
      this.held.set(seq, {
        req,
        resolve: (r) => {
          clearTimeout(timer);
          if (r.success) resolve((r.body as DebugProtocol.EvaluateResponse['body']).result);
          else reject(new Error(r.message ?? 'evaluate failed'));
        },
      });
      writeMessage(this.toAdapter, req);
    });
  }
}

function looksLikeTensor(v: DebugProtocol.Variable): boolean {
  const t = v.type ?? '';
  return /Tensor|Parameter|ndarray|^list$|^tuple$|^dict$|OrderedDict/.test(t) || /^tensor\(|^Parameter containing/.test(v.value);
}

function compactLine(d: LiveValue): string {
  return isLiveTensor(d) ? tensorLine(d) : valueLine(d);
}

/** `python -m debugpy.adapter` behind a {@link DapProxy}, spoken to by a {@link DapClient} (tests, CLI). */
export function spawnProxiedAdapter(python: string, options: DapClientOptions = {}): SpawnedAdapter & { proxy: DapProxy } {
  const child = spawn(python, ['-m', 'debugpy.adapter'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => { if (err.length < 8000) err += b.toString(); });
  const clientIn = new PassThrough();
  const clientOut = new PassThrough();
  const proxy = new DapProxy(child.stdin!, child.stdout!, (m) => writeMessage(clientIn, m));
  readMessages(clientOut, (m) => proxy.fromClient(m));
  const client = new DapClient(clientIn, clientOut, options);
  child.on('exit', () => clientIn.end());
  child.on('error', (e) => client.emit('closed', e));
  return {
    client, proxy, process: child, stderr: () => err,
    kill: () => { if (child.exitCode === null && !child.killed) child.kill('SIGKILL'); },
  };
}
