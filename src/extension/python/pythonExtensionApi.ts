/**
 * The part of Microsoft's Python extension API (`ms-python.python`, the `@vscode/python-extension`
 * package's `PythonExtension` shape) that Tensorscope reads: the environment the user selected. Declared
 * here rather than taken from npm; only `import type` of vscode, so it is testable outside VS Code.
 */
import type * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** `{ id, path }`: path is an interpreter, or for some environments their folder */
export interface EnvironmentPath { readonly id: string; readonly path: string }

export interface ResolvedEnvironment {
  readonly id?: string;
  readonly path?: string;
  readonly executable?: { readonly uri?: vscode.Uri | { readonly fsPath: string } };
}

export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
}

export interface PythonExtensionApi {
  readonly ready?: Promise<void>;
  readonly environments?: PythonEnvironmentsApi;
}

function isEnvironmentsApi(x: unknown): x is PythonEnvironmentsApi {
  const e = x as Partial<PythonEnvironmentsApi> | undefined;
  return typeof e === 'object' && e !== null && typeof e.getActiveEnvironmentPath === 'function' && typeof e.resolveEnvironment === 'function';
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

/**
 * The selected environment's interpreter for `resource`, through the API's `getActiveEnvironmentPath`
 * and `resolveEnvironment` (its executable), or undefined when the API has none. Throws with one line
 * when the API misbehaves (the caller falls back to the setting).
 */
export async function interpreterFromApi(api: unknown, resource: vscode.Uri | undefined, timeoutMs = 10_000): Promise<string | undefined> {
  const a = api as PythonExtensionApi | undefined;
  if (!a || !isEnvironmentsApi(a.environments)) return undefined;
  if (a.ready) await within(a.ready, timeoutMs, 'the Python extension');
  const active = a.environments.getActiveEnvironmentPath(resource);
  if (!active?.path) return undefined;
  const resolved = await within(a.environments.resolveEnvironment(active), timeoutMs, 'the Python extension');
  const exe = resolved?.executable?.uri?.fsPath;
  return exe || active.path;
}
