/**
 * Tensorscope's VS Code entry point (thin): the custom editor for tensor files, the Inspect Tensors panel for
 * files and folders, palette commands, the panel serializer, hovers in Python, and the registry other parts
 * (compute, debugger) use to show results.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { Checkpoint } from '../core/model';
import { InspectorRegistry } from './inspectorRegistry';
import { Inspector, PANEL_VIEW_TYPE } from './inspectorPanel';
import { realCore } from './core';
import { registerHover } from './hover';
import { log, disposeLog } from './log';
import { isInspectorState } from '../shared/protocol';
import { registerCommands } from './commands';
import { registerCompanions } from './companions';

export const EDITOR_VIEW_TYPE = 'tensorscope.inspector';

let registry: InspectorRegistry | undefined;

/** The registry of open inspectors (for the compute and debugger parts and for tests). */
export function inspectorRegistry(): InspectorRegistry | undefined {
  return registry;
}

class TensorEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly context: vscode.ExtensionContext, private readonly registry: InspectorRegistry) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    new Inspector(panel, { kind: 'file', path: document.uri.fsPath, uri: document.uri.toString() }, this.registry, this.context.extensionUri, realCore);
  }
}

export function activate(context: vscode.ExtensionContext): { registry: InspectorRegistry } {
  const reg = new InspectorRegistry();
  registry = reg;
  context.subscriptions.push(reg, { dispose: disposeLog });
  log().info(`Tensorscope ${String(context.extension.packageJSON.version ?? '')} activated (${vscode.env.appName}, remote: ${vscode.env.remoteName ?? 'none'}, trusted: ${vscode.workspace.isTrusted})`);

  const openPanel = (source: ConstructorParameters<typeof Inspector>[1], title: string, viewColumn?: vscode.ViewColumn): Inspector => {
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, viewColumn ?? vscode.ViewColumn.Active, { enableFindWidget: true });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.svg');
    return new Inspector(panel, source, reg, context.extensionUri, realCore);
  };

  reg.setOpener({
    openFile: async (uri, options) => {
      const inspector = openPanel({ kind: 'file', path: uri.fsPath, uri: uri.toString() }, path.basename(uri.fsPath), options?.viewColumn);
      if (options?.tensor) inspector.reveal(options.tensor);
      return inspector;
    },
    openCheckpoint: async (checkpoint: Checkpoint, title: string, options) => {
      const inspector = openPanel({ kind: 'memory', checkpoint, uri: `tensorscope-memory:${encodeURIComponent(title)}`, title }, title, options?.viewColumn);
      if (options?.tensor) inspector.reveal(options.tensor);
      return inspector;
    },
  });

  const provider = new TensorEditorProvider(context, reg);
  const updateContext = () => void vscode.commands.executeCommand('setContext', 'tensorscope.inspectorOpen', reg.list().length > 0);
  context.subscriptions.push(
    // the default editor for .pt/.pth/.ckpt/… and an "Open With…" option for .bin/.onnx/… (package.json customEditors)
    ...[EDITOR_VIEW_TYPE, `${EDITOR_VIEW_TYPE}.option`].map((viewType) => vscode.window.registerCustomEditorProvider(viewType, provider, {
      webviewOptions: { enableFindWidget: true },
      supportsMultipleEditorsPerDocument: true,
    })),
    reg.onDidChange(updateContext),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        if (isInspectorState(state) && state.uri.startsWith('file:')) {
          const uri = vscode.Uri.parse(state.uri);
          new Inspector(panel, { kind: 'file', path: uri.fsPath, uri: uri.toString() }, reg, context.extensionUri, realCore);
        } else {
          // an in-memory result cannot come back after a reload of the window
          panel.webview.html = '<!DOCTYPE html><html><body><p>This inspector showed an in-memory result, which is gone after the window reloaded.</p></body></html>';
        }
      },
    }),
  );
  registerCommands(context, reg);
  registerHover(context, reg);
  registerCompanions(context, reg);
  return { registry: reg };
}

export function deactivate(): void {
  registry = undefined;
}
