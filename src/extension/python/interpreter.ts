/**
 * The one place that decides which Python interpreter Tensorscope runs (debug adapter, debugged program,
 * tracer, helpers). Order: the environment selected in Microsoft's Python extension (when it is
 * installed), then the `tensorscope.python.interpreter` setting, then a default. The log says which.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { interpreterFromApi, PYTHON_EXTENSION_ID } from './pythonExtensionApi';
import { log } from '../log';

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

/** The Python extension's selected interpreter for `resource`, or undefined (not installed, nothing selected, failed). */
async function fromPythonExtension(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const api: unknown = ext.isActive ? ext.exports : await ext.activate();
    return await interpreterFromApi(api, resource);
  } catch (e) {
    log().warn(`${PYTHON_EXTENSION_ID}: no interpreter from its API (${e instanceof Error ? e.message : String(e)}); using the setting`);
    return undefined;
  }
}

let lastLogged = '';

/** The interpreter for work on `resource` (a script or workspace folder). */
export async function resolvePythonInterpreter(resource?: vscode.Uri): Promise<ResolvedInterpreter> {
  const fromExtension = await fromPythonExtension(resource);
  const chosen: ResolvedInterpreter = fromExtension ? { path: fromExtension, source: 'python-extension' } : configuredInterpreter();
  const line = `Python interpreter: ${chosen.path} (${chosen.source === 'python-extension' ? `the environment selected in ${PYTHON_EXTENSION_ID}`
    : chosen.source === 'setting' ? 'setting tensorscope.python.interpreter' : 'default'})`;
  if (line !== lastLogged) { lastLogged = line; log().info(line); }
  return chosen;
}
