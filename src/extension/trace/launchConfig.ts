/**
 * Python launch configurations of launch.json (types `python`, `debugpy`, `tensorscope-python` with a `program`)
 * turned into what a shape trace runs: program, args, cwd, env and python, with the usual `${…}` variables.
 */
import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import type { TraceTarget } from './register';

const PYTHON_TYPES = new Set(['python', 'debugpy', 'tensorscope-python']);

export interface LaunchEntry {
  config: vscode.DebugConfiguration;
  folder?: vscode.WorkspaceFolder;
}

export function pythonLaunchConfigurations(): LaunchEntry[] {
  const out: LaunchEntry[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const configs = vscode.workspace.getConfiguration('launch', folder.uri).get<vscode.DebugConfiguration[]>('configurations', []);
    for (const config of configs) {
      if (PYTHON_TYPES.has(config.type) && config.request === 'launch' && typeof config.program === 'string') out.push({ config, folder });
    }
  }
  return out;
}

/** `${workspaceFolder}`, `${file}`, `${fileDirname}`, `${env:NAME}`, `${userHome}`, … as VS Code expands them. */
export function expandVariables(text: string, folder: vscode.WorkspaceFolder | undefined): string {
  const file = vscode.window.activeTextEditor?.document.uri.fsPath ?? '';
  const root = folder?.uri.fsPath ?? '';
  const values: Record<string, string> = {
    workspaceFolder: root, workspaceRoot: root, workspaceFolderBasename: path.basename(root), userHome: os.homedir(),
    file, fileDirname: path.dirname(file), fileBasename: path.basename(file),
    fileBasenameNoExtension: path.basename(file, path.extname(file)), relativeFile: root ? path.relative(root, file) : file,
    cwd: root, pathSeparator: path.sep,
  };
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith('env:')) return process.env[name.slice(4)] ?? '';
    if (name.startsWith('workspaceFolder:')) {
      const other = vscode.workspace.workspaceFolders?.find((f) => f.name === name.slice('workspaceFolder:'.length));
      return other?.uri.fsPath ?? whole;
    }
    return values[name] ?? whole;
  });
}

export function launchTraceTarget({ config, folder }: LaunchEntry): TraceTarget {
  const x = (s: string) => expandVariables(s, folder);
  const base = folder?.uri.fsPath ?? process.cwd();
  const script = path.resolve(base, x(String(config.program)));
  const cwd = typeof config.cwd === 'string' ? path.resolve(base, x(config.cwd)) : base;
  const args = Array.isArray(config.args) ? config.args.map((a: unknown) => x(String(a))) : typeof config.args === 'string' ? x(config.args).split(/\s+/).filter(Boolean) : [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries((config.env ?? {}) as Record<string, unknown>)) {
    if (v === null) delete env[k];
    else env[k] = x(String(v));
  }
  const python = Array.isArray(config.python) ? config.python[0] : config.python;
  return { script, args, cwd, env, python: typeof python === 'string' && python ? x(python) : undefined };
}
