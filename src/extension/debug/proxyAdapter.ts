/**
 * The `tensorscope-python` debug adapter as VS Code sees it: debugpy's adapter (`python -m
 * debugpy.adapter`) behind our {@link DapProxy}, run inline in the extension host, so the debug
 * hover and the Variables view show tensor lines. (VS Code hides extension hovers while stopped.)
 */
import * as vscode from 'vscode';
import { spawn, type ChildProcess } from 'node:child_process';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapProxy } from '../../debug/dapProxy';
import { debugSettings } from './settings';

export class ProxyDebugAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private readonly child: ChildProcess;
  private readonly proxy: DapProxy;
  private stderr = '';

  constructor(python: string) {
    this.child = spawn(python, ['-m', 'debugpy.adapter'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (b: Buffer) => { if (this.stderr.length < 8000) this.stderr += b.toString(); });
    this.proxy = new DapProxy(this.child.stdin!, this.child.stdout!, (m) => this.emitter.fire(m as vscode.DebugProtocolMessage), {
      hover: () => debugSettings().hover,
      variables: () => debugSettings().hover,
      timeoutMs: () => debugSettings().timeoutMs,
    });
    const fail = (why: string): void => {
      const ev: DebugProtocol.OutputEvent = { seq: 0, type: 'event', event: 'output', body: { category: 'stderr', output: `Tensorscope: ${why}\n` } };
      this.emitter.fire(ev as vscode.DebugProtocolMessage);
      const end: DebugProtocol.TerminatedEvent = { seq: 0, type: 'event', event: 'terminated' };
      this.emitter.fire(end as vscode.DebugProtocolMessage);
    };
    this.child.on('error', (e) => fail(`cannot start ${python} -m debugpy.adapter: ${e.message}`));
    this.child.on('exit', (code) => {
      if (code) fail(`${python} -m debugpy.adapter exited with ${code}: ${this.stderr.trim().split('\n').pop() ?? ''}`);
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.proxy.fromClient(message as DebugProtocol.ProtocolMessage);
  }

  dispose(): void {
    if (this.child.exitCode === null && !this.child.killed) this.child.kill();
    this.emitter.dispose();
  }
}
