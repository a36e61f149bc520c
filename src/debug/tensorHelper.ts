/**
 * Asks the debuggee questions through an {@link Evaluator}: installs the Python helper once (one
 * `evaluate` carrying its base64 source, idempotent: it registers as a private module in
 * sys.modules), then each question is one bounded call whose answer is compact base64 JSON.
 */
import type { Evaluator } from './evaluator';
import { HELPER_HASH, HELPER_SOURCE } from './python/helperSource';
import { checkExpression, isPinRef } from './expression';
import type { AutogradAnswer, HoverAnswer, InlineShape } from './protocol';
import { errorMessage } from '../core/errors';

/** How an expression may be evaluated: `calls` for what the user typed or chose (like the Debug Console);
 * without it (the hover, which runs unasked) only names, attributes and subscripts. */
export interface EvalOptions { calls?: boolean }

export const HELPER_MODULE = `_tensorscope_${HELPER_HASH}`;
const MOD = `__import__('sys').modules['${HELPER_MODULE}']`;

/** The one expression that installs the helper (evaluates to True when it was already there). */
export function installExpression(): string {
  const b64 = Buffer.from(HELPER_SOURCE, 'utf8').toString('base64');
  return `(__import__('sys').modules.get('${HELPER_MODULE}') is not None) or ` +
    `(lambda m: (exec(compile(__import__('base64').b64decode('${b64}').decode('utf-8'), '<tensorscope-helper>', 'exec'), m.__dict__), ` +
    `__import__('sys').modules.__setitem__('${HELPER_MODULE}', m)))(__import__('types').ModuleType('${HELPER_MODULE}'))`;
}

/** A Python string literal (ASCII-only, so any adapter's repr keeps it intact). */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Decode the helper's `TS1:<base64 JSON>` answer out of the adapter's rendering of a Python str. */
export function decodeAnswer<T>(result: string): T {
  const m = /TS1:([A-Za-z0-9+/=]*)/.exec(result);
  if (!m) {
    const line = result.trim().split('\n').filter(Boolean).pop() ?? '';
    throw new Error(`unexpected answer from the debuggee: ${line.slice(0, 200) || '(empty)'}`);
  }
  return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as T;
}

/** One line out of an adapter error (debugpy sends a whole traceback for evaluate failures). */
export function oneLine(e: unknown): string {
  const text = errorMessage(e);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.pop() ?? 'error').slice(0, 300);
}

export class TensorHelper {
  /** frames/sessions where the helper is known to be installed (it lives in sys.modules: once per process) */
  private installed: Promise<void> | null = null;

  constructor(private readonly evaluator: Evaluator) {}

  /** Install the helper (once; concurrent callers share the same evaluate). */
  ensureInstalled(frameId: number): Promise<void> {
    if (!this.installed) {
      this.installed = this.evaluator.evaluate(installExpression(), frameId).then(() => undefined, (e: unknown) => {
        this.installed = null;
        throw new Error(`could not install the helper in the debuggee: ${oneLine(e)}`);
      });
    }
    return this.installed;
  }

  /** Forget the install (a new debuggee process). */
  reset(): void { this.installed = null; }

  private async ask<T>(call: string, frameId: number): Promise<T> {
    await this.ensureInstalled(frameId);
    let result: string;
    try {
      result = await this.evaluator.evaluate(`${MOD}.${call}`, frameId);
    } catch (e) {
      const msg = oneLine(e);
      // the module vanished (new process after a restart): reinstall once
      if (/KeyError: '_tensorscope_/.test(msg)) {
        this.installed = null;
        await this.ensureInstalled(frameId);
        result = await this.evaluator.evaluate(`${MOD}.${call}`, frameId);
      } else throw new Error(msg);
    }
    return decodeAnswer<T>(result);
  }

  /** Describe the value of an expression. Without `calls`, anything but names, attributes and subscripts is
   * refused without asking the debuggee; with it, a tensor computed by the expression is pinned (`ref`). */
  async hover(expr: string, frameId: number, stats = true, opts: EvalOptions = {}): Promise<HoverAnswer> {
    const ok = checkExpression(expr, opts);
    if (!ok.ok) return { error: ok.reason };
    return this.ask<HoverAnswer>(`hover(${pyString(expr)}, globals(), locals(), ${stats ? 'True' : 'False'}, ${opts.calls ? 'True' : 'False'})`, frameId);
  }

  /** Shapes of those names that hold tensors/arrays in the frame (for inline values). */
  async shapes(names: string[], frameId: number): Promise<Record<string, InlineShape>> {
    const valid = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)).slice(0, 500);
    if (!valid.length) return {};
    return this.ask<Record<string, InlineShape>>(`shapes([${valid.map(pyString).join(',')}], globals(), locals())`, frameId);
  }

  /** Bytes of a tensor's elements in C order (at most 4 MiB per call; only that slice is copied off its device).
   * `expr`: a name/attribute/subscript expression, or the `ref` of a hover answer (a pinned value).
   * `storage`: the bytes of the tensor's storage (which its strides and offset index) instead of its elements. */
  async readBytes(expr: string, frameId: number, offset: number, length: number, storage = false): Promise<Uint8Array> {
    const safe = isPinRef(expr) ? { ok: true as const } : checkExpression(expr, {});
    if (!safe.ok) throw new Error(safe.reason);
    await this.ensureInstalled(frameId);
    const result = await this.evaluator.evaluate(`${MOD}.read_bytes(${pyString(expr)}, globals(), locals(), ${Math.floor(offset)}, ${Math.floor(length)}, ${storage ? 'True' : 'False'})`, frameId);
    const m = /TSB:([A-Za-z0-9+/=]*)/.exec(result);
    if (m) return new Uint8Array(Buffer.from(m[1]!, 'base64'));
    const answer = decodeAnswer<{ error?: string }>(result);
    throw new Error(answer.error ?? 'no bytes');
  }

  /** Walk the autograd graph of a tensor breadth-first, at most `maxNodes` nodes. */
  async autograd(expr: string, frameId: number, maxNodes = 5000, opts: EvalOptions = {}): Promise<AutogradAnswer> {
    const ok = checkExpression(expr, opts);
    if (!ok.ok) return { error: ok.reason };
    const t0 = performance.now();
    const answer = await this.ask<AutogradAnswer>(`autograd(${pyString(expr)}, globals(), locals(), ${Math.max(1, Math.floor(maxNodes))}, ${opts.calls ? 'True' : 'False'})`, frameId);
    if (!('error' in answer)) answer.elapsedMs = Math.round((performance.now() - t0) * 1000) / 1000;
    return answer;
  }
}
