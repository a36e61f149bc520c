/**
 * Puts Tensorscope's pydevd presentation plugin (dist/pythonpath) on the PYTHONPATH of Python debug
 * sessions, so debugpy's own hover and Variables view show `[2, 3, 16, 16] float32 cuda:0 …` for tensors:
 * launch configurations of Microsoft's `debugpy` and `python` types, the Jupyter kernel's, and ours.
 * Runs in resolveDebugConfigurationWithSubstitutedVariables, after every provider has filled in its
 * defaults (an empty F5 configuration stays empty for Microsoft's provider to complete).
 * Attach sessions cannot be changed this way: the README says how to add the folder by hand.
 */
import * as vscode from 'vscode';
import { pluginFolder, withPluginOnPythonPath } from '../../debug/pluginPath';
import { DEBUG_TYPE } from './settings';
import { log } from '../log';

/** the debug types whose adapter is debugpy (or pydevd) and that honour `env` */
export const PLUGIN_DEBUG_TYPES = ['debugpy', 'python', DEBUG_TYPE, 'Python Kernel Debug Adapter'] as const;

export function pluginEnabled(): boolean {
  return vscode.workspace.getConfiguration('tensorscope').get<boolean>('debug.presentationPlugin', true);
}

export function registerPluginPath(context: vscode.ExtensionContext): void {
  const folder = pluginFolder(context.extensionUri.fsPath);
  const provider: vscode.DebugConfigurationProvider = {
    resolveDebugConfigurationWithSubstitutedVariables: (_folder, config) => {
      if (!pluginEnabled() || config.request === 'attach') return config;
      config.env = withPluginOnPythonPath(config.env as Record<string, string | null> | undefined, folder, process.env.PYTHONPATH);
      log().info(`debug session "${config.name ?? config.type}" (${config.type}): ${folder} first on PYTHONPATH (tensor values in the debugger's hover and Variables view)`);
      return config;
    },
  };
  for (const type of PLUGIN_DEBUG_TYPES) context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(type, provider));
}
