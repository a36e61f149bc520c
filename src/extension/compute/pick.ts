/** Picking tensors for Run Op / Check Metric: from the open inspectors, or from a `.npy` file. */
import * as vscode from 'vscode';
import type { Dense } from '../../compute/dense';
import { loadNpy } from '../../compute/npyLoad';
import type { TensorInfo } from '../../core/model';
import type { InspectorRegistry } from '../inspectorRegistry';
import { log } from '../log';
import { denseOf } from './denseOf';

interface TensorItem extends vscode.QuickPickItem {
  tensor?: TensorInfo;
  browse?: boolean;
  done?: boolean;
}

export async function pickTensor(registry: InspectorRegistry, prompt: string, allowDone = false): Promise<{ dense: Dense; label: string } | 'done' | undefined> {
  const items: TensorItem[] = [];
  if (allowDone) items.push({ label: '$(check) No more inputs', done: true });
  items.push({ label: '$(file) Browse for a .npy file…', browse: true });
  for (const { inspector, checkpoint } of registry.checkpoints()) {
    items.push({ label: inspector.title, kind: vscode.QuickPickItemKind.Separator });
    for (const t of checkpoint.tensors) {
      if (t.layout !== 'strided' || !t.storage?.source) continue;
      items.push({ label: t.name || '(array)', description: `${t.dtype} ${t.shape.join('×') || 'scalar'}`, detail: inspector.title, tensor: t });
    }
  }
  const picked = await vscode.window.showQuickPick(items, { title: prompt, matchOnDescription: true, matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.done) return 'done';
  if (picked.browse) {
    const uris = await vscode.window.showOpenDialog({ title: prompt, canSelectMany: false, filters: { NumPy: ['npy'] }, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    if (!uris?.[0]) return undefined;
    return { dense: await loadNpy(uris[0].fsPath), label: uris[0].fsPath.split(/[\\/]/).pop() ?? uris[0].fsPath };
  }
  const t = picked.tensor as TensorInfo;
  const d = await denseOf(t);
  if (d.note) log().info(d.note);
  return { dense: d.dense, label: t.name };
}
