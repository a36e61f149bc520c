/**
 * The debugger features, wired into VS Code: the `tensorscope-python` debug type (debugpy's adapter
 * started with our interpreter setting, behind our DAP proxy so the debug hover and the Variables view
 * show tensor lines), hovers and inline shapes while stopped (any Python debug type), "Inspect Tensor"
 * (opens the live tensor in the inspector, else a details panel) and "Trace Autograd Graph".
 * Called from src/extension/companions.ts with the inspector registry.
 */
import * as vscode from 'vscode';
import { expressionAt, isSafeExpression } from '../../debug/expression';
import { isLiveTensor, type AutogradGraph, type LiveTensor } from '../../debug/protocol';
import { LiveSessions, type LiveFrame } from './liveSessions';
import { InlineShapesProvider, LiveHoverProvider } from './providers';
import { GraphPanel } from './graphPanel';
import { showTensorPanel } from './tensorPanel';
import { ProxyDebugAdapter } from './proxyAdapter';
import { liveCheckpoint } from '../../debug/liveCheckpoint';
import type { Checkpoint } from '../../core/model';
import { DEBUG_TYPE, debugSettings, pythonInterpreter } from './settings';

/** Optional hooks from the rest of the extension (the inspector, for Inspect Tensor). */
export interface DebugFeatureDeps {
  /** show a live tensor in the inspector; return false to fall back to the details panel */
  openLiveTensor?(expr: string, tensor: LiveTensor, frame: LiveFrame): Promise<boolean>;
}

/** The inspector registry's part we use (src/extension/inspectorRegistry.ts): open an in-memory checkpoint. */
export interface CheckpointOpener {
  openCheckpoint(checkpoint: Checkpoint, title: string, options?: { tensor?: string }): Promise<unknown>;
}

function toDeps(d: DebugFeatureDeps | CheckpointOpener | undefined): DebugFeatureDeps {
  if (!d) return {};
  if ('openCheckpoint' in d && typeof d.openCheckpoint === 'function') {
    const opener = d;
    return {
      openLiveTensor: async (expr, tensor, frame) => {
        await opener.openCheckpoint(liveCheckpoint(frame.helper, expr, frame.frameId, tensor), `${expr} (live)`, { tensor: expr });
        return true;
      },
    };
  }
  return d as DebugFeatureDeps;
}

/** What the commands return (used by tests). */
export interface DebugFeatures {
  sessions: LiveSessions;
  lastGraph(): { graph: AutogradGraph; panel: GraphPanel } | undefined;
}

/** A Variables-view context-menu argument. */
interface VariableArg { variable?: { name?: string; evaluateName?: string }; expression?: string }

export function registerDebugFeatures(context: vscode.ExtensionContext, depsOrRegistry?: DebugFeatureDeps | CheckpointOpener): DebugFeatures {
  const deps = toDeps(depsOrRegistry);
  const sessions = new LiveSessions();
  let last: { graph: AutogradGraph; panel: GraphPanel } | undefined;
  context.subscriptions.push(
    sessions,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) => {
        const configured = (session.configuration as { adapterPython?: unknown }).adapterPython;
        const python = typeof configured === 'string' && configured ? configured : pythonInterpreter();
        return new vscode.DebugAdapterInlineImplementation(new ProxyDebugAdapter(python));
      },
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: () => [launchSnippet()],
      resolveDebugConfiguration: (_folder, config) => {
        if (!config.type && !config.request && !config.name) {
          const doc = vscode.window.activeTextEditor?.document;
          if (!doc || doc.languageId !== 'python') return undefined;
          Object.assign(config, launchSnippet(), { program: doc.fileName });
        }
        config.request ??= 'launch';
        config.console ??= 'internalConsole';
        config.justMyCode ??= true;
        if (config.request === 'launch' && !config.program && !config.module && !config.code) {
          return vscode.window.showErrorMessage('Tensorscope: the launch configuration needs a "program"').then(() => undefined);
        }
        if (config.request === 'launch' && !config.python) config.python = [pythonInterpreter()];
        return config;
      },
    }),
    vscode.languages.registerHoverProvider({ language: 'python' }, new LiveHoverProvider(sessions)),
    vscode.languages.registerInlineValuesProvider({ language: 'python' }, new InlineShapesProvider(sessions)),
    vscode.commands.registerCommand('tensorscope.debug.inspectTensor', async (arg?: VariableArg) => {
      const target = await resolveTarget(sessions, arg);
      if (!target) return undefined;
      const answer = await target.frame.helper.hover(target.expr, target.frame.frameId);
      if ('error' in answer) { void vscode.window.showWarningMessage(`Tensorscope: ${target.expr}: ${answer.error}`); return answer; }
      if (!isLiveTensor(answer)) { void vscode.window.showWarningMessage(`Tensorscope: ${target.expr} is a ${answer.type}, not a tensor`); return answer; }
      const shown = deps.openLiveTensor ? await deps.openLiveTensor(target.expr, answer, target.frame).catch(() => false) : false;
      if (!shown) showTensorPanel(target.expr, answer);
      return answer;
    }),
    vscode.commands.registerCommand('tensorscope.debug.traceAutograd', async (arg?: VariableArg) => {
      const target = await resolveTarget(sessions, arg);
      if (!target) return undefined;
      const graph = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Tracing autograd graph of ${target.expr}` },
        () => target.frame.helper.autograd(target.expr, target.frame.frameId, debugSettings().maxNodes));
      if ('error' in graph) { void vscode.window.showWarningMessage(`Tensorscope: ${target.expr}: ${graph.error}`); return graph; }
      if (!graph.nodes.length) { void vscode.window.showInformationMessage(`Tensorscope: ${graph.note ?? `${target.expr} has no autograd graph`}`); return graph; }
      if (graph.truncated) void vscode.window.showWarningMessage(`Tensorscope: the graph was cut at ${graph.maxNodes} nodes (setting tensorscope.autograd.maxNodes)`);
      const panel = new GraphPanel(context.extensionUri, target.expr, target.expr, graph);
      last = { graph, panel };
      return { nodes: graph.nodes.length, edges: graph.edges.length, elapsedMs: graph.elapsedMs };
    }),
  );
  return { sessions, lastGraph: () => last };
}

function launchSnippet(): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE, request: 'launch', name: 'Tensorscope: Python file', program: '${file}',
    console: 'internalConsole', justMyCode: true,
  };
}

/** The expression to act on: a Variables-view item, an explicit argument, the selection, or the expression under the cursor. */
async function resolveTarget(sessions: LiveSessions, arg?: VariableArg): Promise<{ expr: string; frame: LiveFrame } | undefined> {
  let expr = arg?.expression ?? arg?.variable?.evaluateName ?? arg?.variable?.name;
  if (!expr) {
    const editor = vscode.window.activeTextEditor;
    if (editor) {
      const sel = editor.selection;
      if (!sel.isEmpty) expr = editor.document.getText(sel).trim();
      else expr = expressionAt(editor.document.lineAt(sel.active.line).text, sel.active.character)?.text;
    }
  }
  if (!expr) {
    expr = await vscode.window.showInputBox({ prompt: 'Tensor expression (a name, attribute or subscript)', placeHolder: 'loss' });
    if (!expr) return undefined;
  }
  const safe = isSafeExpression(expr);
  if (!safe.ok) { void vscode.window.showWarningMessage(`Tensorscope: ${expr}: ${safe.reason}`); return undefined; }
  const frame = await sessions.current();
  if (!frame) { void vscode.window.showWarningMessage('Tensorscope: no Python debug session is stopped'); return undefined; }
  return { expr, frame };
}
