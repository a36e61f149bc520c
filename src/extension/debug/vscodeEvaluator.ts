/** {@link Evaluator} over a VS Code debug session: `customRequest('evaluate')` with a timeout. */
import type * as vscode from 'vscode';
import type { Evaluator } from '../../debug/evaluator';

export class SessionEvaluator implements Evaluator {
  constructor(private readonly session: vscode.DebugSession, private readonly timeoutMs: () => number) {}

  async evaluate(expr: string, frameId: number): Promise<string> {
    const ms = this.timeoutMs();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the debuggee did not answer within ${ms} ms`)), ms);
    });
    try {
      const body = await Promise.race([
        this.session.customRequest('evaluate', { expression: expr, frameId, context: 'clipboard' }) as Thenable<{ result?: unknown }>,
        timeout,
      ]);
      return typeof body?.result === 'string' ? body.result : '';
    } finally {
      clearTimeout(timer);
    }
  }
}
