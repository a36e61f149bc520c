/**
 * Where a Python debug session finds Tensorscope's pydevd presentation plugin: the folder
 * `dist/pythonpath` (scripts/build-pythonpath.mjs) put first on the debuggee's PYTHONPATH, the user's
 * own entries kept behind it. Pure functions (no `vscode`), used by src/extension/debug/pythonPath.ts.
 */
import path from 'node:path';

/** The folder to put on PYTHONPATH, inside the extension (or the repository) folder. */
export function pluginFolder(extensionRoot: string): string {
  return path.join(extensionRoot, 'dist', 'pythonpath');
}

/** Launch-configuration `env` values: strings, or null to unset a variable (debugpy's convention). */
export type LaunchEnv = Record<string, string | null | undefined>;

/**
 * `env` with `folder` first on PYTHONPATH. The user's entries stay behind it: the configuration's own
 * PYTHONPATH, else the one the program would inherit (`inherited`). Nothing changes when the folder is
 * already listed, or when the configuration unsets PYTHONPATH on purpose (null).
 */
export function withPluginOnPythonPath(env: LaunchEnv | undefined, folder: string, inherited: string | undefined, delimiter = path.delimiter): LaunchEnv {
  const out: LaunchEnv = { ...(env ?? {}) };
  const own = out.PYTHONPATH;
  if (own === null) return out;
  const rest = own !== undefined ? own : inherited ?? '';
  if (rest.split(delimiter).includes(folder)) return out;
  out.PYTHONPATH = rest ? `${folder}${delimiter}${rest}` : folder;
  return out;
}
