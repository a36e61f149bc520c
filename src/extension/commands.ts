/** Palette and Explorer commands (category "Tensorscope"). */
import * as vscode from 'vscode';
import type { InspectorRegistry } from './inspectorRegistry';
import { log } from './log';

export const TENSOR_FILE_EXTENSIONS = ['pt', 'pth', 'ckpt', 'pt2', 'safetensors', 'npy', 'npz', 'tar', 'bin', 'jit', 'ptl', 'ot', 'pkl', 'onnx'];

export function registerCommands(context: vscode.ExtensionContext, registry: InspectorRegistry): void {
  const withActive = (what: string, f: (i: NonNullable<InspectorRegistry['active']>) => Promise<void> | void) => async () => {
    const i = registry.active;
    if (!i) {
      void vscode.window.showInformationMessage(`Tensorscope: open a checkpoint first to ${what}.`);
      return;
    }
    await f(i);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('tensorscope.openCheckpoint', async () => {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true, canSelectFolders: true, canSelectMany: false,
        openLabel: 'Inspect',
        title: 'Open a checkpoint (a file, or a folder holding a distributed or sharded checkpoint)',
        filters: { 'Tensor files': TENSOR_FILE_EXTENSIONS, 'All files': ['*'] },
      });
      if (picked?.[0]) await registry.openFile(picked[0]);
    }),
    // Explorer context menu (and palette with the active editor's file): files and folders
    vscode.commands.registerCommand('tensorscope.inspect', async (uri?: vscode.Uri, selected?: vscode.Uri[]) => {
      const targets = selected?.length ? selected : uri ? [uri] : [];
      if (!targets.length) {
        const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
        const u = active && typeof active === 'object' && 'uri' in active && active.uri instanceof vscode.Uri ? active.uri : undefined;
        if (u) targets.push(u);
      }
      if (!targets.length) return vscode.commands.executeCommand('tensorscope.openCheckpoint');
      for (const t of targets) await registry.openFile(t);
    }),
    vscode.commands.registerCommand('tensorscope.computeAllStatistics', withActive('compute statistics', (i) => i.computeAllStatistics())),
    vscode.commands.registerCommand('tensorscope.reload', withActive('reload it', (i) => i.reload())),
    vscode.commands.registerCommand('tensorscope.revealTensor', withActive('find a tensor', async (i) => {
      const cp = i.checkpoint;
      if (!cp) return;
      const pick = await vscode.window.showQuickPick(cp.tensors.map((t) => ({ label: t.name, description: `${t.dtype} (${t.shape.join(', ')})` })), { placeHolder: 'Tensor name', matchOnDescription: true });
      if (pick) i.reveal(pick.label);
    })),
    vscode.commands.registerCommand('tensorscope.showLog', () => log().show()),
  );
}
