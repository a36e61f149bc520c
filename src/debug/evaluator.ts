/**
 * The one thing the live-tensor features need from a debugger: evaluate a Python expression in a
 * stopped frame and get the adapter's `result` string back. Implemented over our own DAP client
 * (CLI, tests) and over `vscode.debug.activeDebugSession.customRequest` (src/extension/debug).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DapClient } from './dapClient';

export interface Evaluator {
  evaluate(expr: string, frameId: number): Promise<string>;
}

/** Evaluate through a DAP client. `clipboard` context: debugpy returns the full string, untrimmed. */
export class DapEvaluator implements Evaluator {
  constructor(private readonly client: DapClient, private readonly timeoutMs = 10000) {}

  async evaluate(expr: string, frameId: number): Promise<string> {
    const args: DebugProtocol.EvaluateArguments = { expression: expr, frameId, context: 'clipboard' };
    const body = await this.client.request<DebugProtocol.EvaluateResponse['body']>('evaluate', args, this.timeoutMs);
    return body.result;
  }
}
