/** The debugger part's settings (contributed in package.json). */
import * as vscode from 'vscode';

export const DEBUG_TYPE = 'tensorscope-python';
/** debug types whose adapter is debugpy: ours, and the Python extension's */
export const PYTHON_DEBUG_TYPES = new Set(['debugpy', 'python', DEBUG_TYPE]);

export function debugSettings(): { inlineShapes: boolean; hover: boolean; maxNodes: number; timeoutMs: number } {
  const c = vscode.workspace.getConfiguration('tensorscope');
  return {
    inlineShapes: c.get<boolean>('debug.inlineShapes', true),
    hover: c.get<boolean>('debug.hover', true),
    maxNodes: Math.max(1, c.get<number>('autograd.maxNodes', 5000)),
    timeoutMs: Math.max(100, c.get<number>('debug.timeoutMs', 5000)),
  };
}
