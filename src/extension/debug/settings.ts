/** The debugger part's settings (contributed in package.json). */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';

export const DEBUG_TYPE = 'tensorscope-python';
/** debug types whose adapter is debugpy: ours, and the Python extension's */
export const PYTHON_DEBUG_TYPES = new Set(['debugpy', 'python', DEBUG_TYPE]);

export function pythonInterpreter(): string {
  const configured = vscode.workspace.getConfiguration('tensorscope').get<string>('python.interpreter', '').trim();
  if (configured) return configured;
  if (process.platform === 'linux' && existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  return process.platform === 'win32' ? 'python' : 'python3';
}

export function debugSettings(): { inlineShapes: boolean; hover: boolean; maxNodes: number; timeoutMs: number } {
  const c = vscode.workspace.getConfiguration('tensorscope');
  return {
    inlineShapes: c.get<boolean>('debug.inlineShapes', true),
    hover: c.get<boolean>('debug.hover', true),
    maxNodes: Math.max(1, c.get<number>('autograd.maxNodes', 5000)),
    timeoutMs: Math.max(100, c.get<number>('debug.timeoutMs', 5000)),
  };
}
