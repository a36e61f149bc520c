/**
 * Requests as promises between a webview and the extension host, for any protocol declared with `defineProtocol`
 * (src/shared/protocol.ts declares the inspector's, the autograd graph's and the Compare view's).
 *
 * On the wire:
 *   view → host  { kind: 'request', type, requestId, params }   { kind: 'cancel', inReplyTo }   { kind: 'note', type, body }
 *   host → view  { kind: 'reply', type, inReplyTo, result }      { kind: 'error', inReplyTo, message }
 *                { kind: 'progress', inReplyTo, fraction }       { kind: 'note', type, body }
 * Both sides check what they receive against the declaration (`parseFromView`, `parseFromHost`) and drop the rest.
 * A request's promise settles exactly once: on its reply, on an error reply, or when its signal aborts; its entry
 * is gone from then on, so no reply handler outlives its request.
 */
import { nat, num, parse, str, type Infer, type Schema } from './schema';

export interface RequestSpec {
  readonly params: Schema<unknown>;
  readonly result: Schema<unknown>;
}

export interface ProtocolSpec {
  /** request type → its parameters and its reply */
  readonly requests: Readonly<Record<string, RequestSpec>>;
  /** notes (no reply) the webview sends */
  readonly fromView: Readonly<Record<string, Schema<unknown>>>;
  /** notes (no reply) the host sends */
  readonly toView: Readonly<Record<string, Schema<unknown>>>;
}

export function defineProtocol<const P extends ProtocolSpec>(p: P): P {
  return p;
}

export type RequestType<P extends ProtocolSpec> = keyof P['requests'] & string;
export type Params<P extends ProtocolSpec, K extends RequestType<P>> = Infer<P['requests'][K]['params']>;
export type Result<P extends ProtocolSpec, K extends RequestType<P>> = Infer<P['requests'][K]['result']>;
export type ViewNoteType<P extends ProtocolSpec> = keyof P['fromView'] & string;
export type HostNoteType<P extends ProtocolSpec> = keyof P['toView'] & string;

export type RequestMessage<P extends ProtocolSpec> = { [K in RequestType<P>]: { kind: 'request'; type: K; requestId: number; params: Params<P, K> } }[RequestType<P>];
export type ViewNote<P extends ProtocolSpec> = { [K in ViewNoteType<P>]: { kind: 'note'; type: K; body: Infer<P['fromView'][K]> } }[ViewNoteType<P>];
export type HostNote<P extends ProtocolSpec> = { [K in HostNoteType<P>]: { kind: 'note'; type: K; body: Infer<P['toView'][K]> } }[HostNoteType<P>];
export type ReplyMessage<P extends ProtocolSpec> =
  | { [K in RequestType<P>]: { kind: 'reply'; type: K; inReplyTo: number; result: Result<P, K> } }[RequestType<P>]
  | { kind: 'error'; inReplyTo: number; message: string }
  | { kind: 'progress'; inReplyTo: number; fraction: number };

export type FromView<P extends ProtocolSpec> = RequestMessage<P> | { kind: 'cancel'; inReplyTo: number } | ViewNote<P>;
export type FromHost<P extends ProtocolSpec> = ReplyMessage<P> | HostNote<P>;

type Raw = Record<string, unknown>;
const isRaw = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);
const own = <T extends object>(o: T, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

function checked<T>(schema: Schema<unknown>, x: unknown, wrap: (v: unknown) => T, what: string): Parsed<T> {
  const r = parse(schema, x);
  return r.ok ? { ok: true, message: wrap(r.value) } : { ok: false, error: `${what}: ${r.error}` };
}

/** Narrow what a webview sent: a declared request, a cancel or a declared note; anything else is an error line. */
export function parseFromView<P extends ProtocolSpec>(p: P, x: unknown): Parsed<FromView<P>> {
  if (!isRaw(x)) return { ok: false, error: 'not an object' };
  const type = typeof x.type === 'string' ? x.type : '';
  switch (x.kind) {
    case 'request': {
      if (!own(p.requests, type)) return { ok: false, error: `unknown request ${JSON.stringify(type).slice(0, 80)}` };
      const id = parse(nat(), x.requestId);
      if (!id.ok) return { ok: false, error: `${type}: requestId: ${id.error}` };
      return checked(p.requests[type].params, x.params, (params) => ({ kind: 'request', type, requestId: id.value, params }) as FromView<P>, `${type} params`);
    }
    case 'cancel': {
      const id = parse(nat(), x.inReplyTo);
      return id.ok ? { ok: true, message: { kind: 'cancel', inReplyTo: id.value } } : { ok: false, error: `cancel: ${id.error}` };
    }
    case 'note':
      if (!own(p.fromView, type)) return { ok: false, error: `unknown note ${JSON.stringify(type).slice(0, 80)}` };
      return checked(p.fromView[type], x.body, (body) => ({ kind: 'note', type, body }) as FromView<P>, type);
    default:
      return { ok: false, error: 'no kind' };
  }
}

/** Narrow what the host sent: a reply (its result checked against the request's declaration), an error, progress, a note. */
export function parseFromHost<P extends ProtocolSpec>(p: P, x: unknown): Parsed<FromHost<P>> {
  if (!isRaw(x)) return { ok: false, error: 'not an object' };
  const type = typeof x.type === 'string' ? x.type : '';
  const id = parse(nat(), x.inReplyTo);
  switch (x.kind) {
    case 'reply':
      if (!own(p.requests, type)) return { ok: false, error: `reply to unknown request ${JSON.stringify(type).slice(0, 80)}` };
      if (!id.ok) return { ok: false, error: `${type} reply: inReplyTo: ${id.error}` };
      return checked(p.requests[type].result, x.result, (result) => ({ kind: 'reply', type, inReplyTo: id.value, result }) as FromHost<P>, `${type} reply`);
    case 'error': {
      const message = parse(str(100_000), x.message);
      return id.ok && message.ok ? { ok: true, message: { kind: 'error', inReplyTo: id.value, message: message.value } } : { ok: false, error: 'malformed error reply' };
    }
    case 'progress': {
      const fraction = parse(num(), x.fraction);
      return id.ok && fraction.ok ? { ok: true, message: { kind: 'progress', inReplyTo: id.value, fraction: fraction.value } } : { ok: false, error: 'malformed progress' };
    }
    case 'note':
      if (!own(p.toView, type)) return { ok: false, error: `unknown note ${JSON.stringify(type).slice(0, 80)}` };
      return checked(p.toView[type], x.body, (body) => ({ kind: 'note', type, body }) as FromHost<P>, type);
    default:
      return { ok: false, error: 'no kind' };
  }
}

/** The host's error reply to a request, as the request's rejection. */
export class RequestError extends Error {
  constructor(message: string, readonly requestType: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The rejection of a request whose signal aborted (the caller gave up on it: not an error to show). */
export class CancelledError extends Error {
  constructor(requestType: string) {
    super(`${requestType} cancelled`);
    this.name = 'CancelledError';
  }
}

interface Pending {
  type: string;
  resolve(result: unknown): void;
  reject(e: Error): void;
  onProgress?: (fraction: number) => void;
  cleanup(): void;
}

export interface RequestOptions {
  /** abort: the host is told to cancel, the promise rejects with CancelledError */
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** The webview's side: `request` returns a promise of the declared reply. */
export class RequestClient<P extends ProtocolSpec> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly post: (m: FromView<P>) => void) {}

  /** requests still waiting for their reply */
  get pendingCount(): number {
    return this.pending.size;
  }

  request<K extends RequestType<P>>(type: K, params: Params<P, K>, options: RequestOptions = {}): Promise<Result<P, K>> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(type));
    const requestId = this.nextId++;
    return new Promise<Result<P, K>>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(requestId)) return;
        this.post({ kind: 'cancel', inReplyTo: requestId });
        reject(new CancelledError(type));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, {
        type,
        resolve: (r) => resolve(r as Result<P, K>),
        reject,
        onProgress,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.post({ kind: 'request', type, requestId, params } as FromView<P>);
    });
  }

  /** Settle the request a reply, error or progress message is for; false for a note (not ours to handle). */
  receive(m: FromHost<P>): boolean {
    if (m.kind === 'note') return false;
    const p = this.pending.get(m.inReplyTo);
    if (!p) return true; // a reply to a request given up on
    if (m.kind === 'progress') { p.onProgress?.(m.fraction); return true; }
    this.pending.delete(m.inReplyTo);
    p.cleanup();
    if (m.kind === 'error') p.reject(new RequestError(m.message, p.type));
    else if (m.type !== p.type) p.reject(new RequestError(`a ${m.type} reply to a ${p.type} request`, p.type));
    else p.resolve(m.result);
    return true;
  }

  /** Reject every pending request (the host went away, the page is being rebuilt). */
  rejectAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(new RequestError(reason, p.type));
    }
  }
}

export type Handlers<P extends ProtocolSpec> = {
  [K in RequestType<P>]: (params: Params<P, K>, context: { signal: AbortSignal; progress(fraction: number): void }) => Promise<Result<P, K>> | Result<P, K>;
};

/** The host's side: runs the handler of each request and answers with its result or its error, once. */
export class RequestServer<P extends ProtocolSpec> {
  private readonly running = new Map<number, AbortController>();

  constructor(private readonly handlers: Handlers<P>, private readonly post: (m: FromHost<P>) => void, private readonly describeError: (e: unknown) => string) {}

  async handle(m: RequestMessage<P> | { kind: 'cancel'; inReplyTo: number }): Promise<void> {
    if (m.kind === 'cancel') {
      this.running.get(m.inReplyTo)?.abort();
      this.running.delete(m.inReplyTo);
      return;
    }
    const { type, requestId } = m;
    this.running.get(requestId)?.abort();
    const abort = new AbortController();
    this.running.set(requestId, abort);
    let last = 0;
    const progress = (fraction: number): void => {
      const now = Date.now();
      // at most ten a second: progress is for a bar, not a log
      if (now - last > 100 && !abort.signal.aborted) { last = now; this.post({ kind: 'progress', inReplyTo: requestId, fraction }); }
    };
    try {
      const handler = this.handlers[type] as (params: unknown, context: { signal: AbortSignal; progress(f: number): void }) => unknown;
      const result = await handler(m.params, { signal: abort.signal, progress });
      if (!abort.signal.aborted) this.post({ kind: 'reply', type, inReplyTo: requestId, result } as FromHost<P>);
    } catch (e) {
      if (!abort.signal.aborted) this.post({ kind: 'error', inReplyTo: requestId, message: this.describeError(e) });
    } finally {
      if (this.running.get(requestId) === abort) this.running.delete(requestId);
    }
  }

  /** requests whose handler has not finished */
  get runningCount(): number {
    return this.running.size;
  }

  cancelAll(): void {
    for (const a of this.running.values()) a.abort();
    this.running.clear();
  }
}

/** A note for the other side, typed by the protocol. */
export function hostNote<P extends ProtocolSpec, K extends HostNoteType<P>>(_p: P, type: K, body: Infer<P['toView'][K]>): FromHost<P> {
  return { kind: 'note', type, body } as FromHost<P>;
}

export function viewNote<P extends ProtocolSpec, K extends ViewNoteType<P>>(_p: P, type: K, body: Infer<P['fromView'][K]>): FromView<P> {
  return { kind: 'note', type, body } as FromView<P>;
}

