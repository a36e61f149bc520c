/**
 * The debugger features, wired into VS Code: the `tensorscope-python` debug type (debugpy's adapter run
 * by the interpreter resolvePythonInterpreter chooses), the pydevd presentation plugin on the PYTHONPATH
 * of every Python debug session (./pythonPath.ts: the debug hover and the Variables view show tensor
 * lines), hovers and inline shapes while stopped (any Python debug type), "Inspect Tensor" (opens the
 * live tensor in the inspector, else a details panel) and "Trace Autograd Graph".
 * Called from src/extension/companions.ts with the inspector registry.
 */
import * as vscode from 'vscode';
import { checkExpression, expressionAt } from '../../debug/expression';
import { isLiveTensor, type AutogradGraph, type LiveTensor } from '../../debug/protocol';
import { LiveSessions, type LiveFrame } from './liveSessions';
import { InlineShapesProvider, LiveHoverProvider } from './providers';
import { GraphPanel } from './graphPanel';
import { showTensorPanel } from './tensorPanel';
import { registerPluginPath } from './pythonPath';
import { resolvePythonInterpreter } from '../python/interpreter';
import { execFile } from 'node:child_process';
import { frameText, liveCheckpoint } from '../../debug/liveCheckpoint';
import type { Checkpoint } from '../../core/model';
import { DEBUG_TYPE, debugSettings } from './settings';

/** Optional hooks from the rest of the extension (the inspector, for Inspect Tensor). */
export interface DebugFeatureDeps {
  /** show a live tensor in the inspector; return false to fall back to the details panel */
  openLiveTensor?(expr: string, tensor: LiveTensor, frame: LiveFrame): Promise<boolean>;
}

/** The inspector registry's part we use (src/extension/inspectorRegistry.ts): open an in-memory checkpoint. */
export interface CheckpointOpener {
  openCheckpoint(checkpoint: Checkpoint, title: string, options?: { tensor?: string }): Promise<unknown>;
}

function toDeps(d: DebugFeatureDeps | CheckpointOpener | undefined, sessions: LiveSessions): DebugFeatureDeps {
  if (!d) return {};
  if ('openCheckpoint' in d && typeof d.openCheckpoint === 'function') {
    const opener = d;
    return {
      openLiveTensor: async (expr, tensor, frame) => {
        const label = await sessions.frameLabel(frame);
        // titled by the frame's function and line, as the Call Stack names it
        await opener.openCheckpoint(liveCheckpoint(frame.helper, expr, frame.frameId, tensor, label), `${expr} (live, ${frameText(label)})`, { tensor: expr });
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
  const sessions = new LiveSessions();
  const deps = toDeps(depsOrRegistry, sessions);
  let last: { graph: AutogradGraph; panel: GraphPanel } | undefined;
  registerPluginPath(context);
  context.subscriptions.push(
    sessions,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: async (session) => {
        const configured = (session.configuration as { adapterPython?: unknown }).adapterPython;
        const python = typeof configured === 'string' && configured ? configured : (await resolvePythonInterpreter(session.workspaceFolder?.uri)).path;
        await checkDebugpy(python);
        return new vscode.DebugAdapterExecutable(python, ['-m', 'debugpy.adapter']);
      },
    }),
    // the launch.json template comes from package.json's initialConfigurations only (a provideDebugConfigurations
    // here would write it a second time)
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      resolveDebugConfiguration: async (folder, config) => {
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
        if (config.request === 'launch' && !config.python) config.python = [(await resolvePythonInterpreter(folder?.uri)).path];
        return config;
      },
    }),
    vscode.languages.registerHoverProvider({ language: 'python' }, new LiveHoverProvider(sessions)),
    vscode.languages.registerInlineValuesProvider({ language: 'python' }, new InlineShapesProvider(sessions)),
    vscode.commands.registerCommand('tensorscope.debug.inspectTensor', async (arg?: VariableArg) => {
      const target = await resolveTarget(sessions, arg);
      if (!target) return undefined;
      const answer = await target.frame.helper.hover(target.expr, target.frame.frameId, true, { calls: true });
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
        () => target.frame.helper.autograd(target.expr, target.frame.frameId, debugSettings().maxNodes, { calls: true }));
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

/** Fails with one clear line when `python` cannot run debugpy's adapter (instead of an adapter that dies at once). */
function checkDebugpy(python: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', 'import debugpy'], { timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) { resolve(); return; }
      const why = String(stderr).trim().split('\n').pop() || err.message;
      reject(new Error(`Tensorscope: ${python} cannot run debugpy (${why}). Install debugpy for it (Debian: python3-debugpy) or choose another interpreter (setting tensorscope.python.interpreter).`));
    });
  });
}

function launchSnippet(): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE, request: 'launch', name: 'Tensorscope: Python file', program: '${file}',
    console: 'internalConsole', justMyCode: true,
  };
}

/** The expression to act on: a Variables-view item, an explicit argument, the selection, the expression under the cursor, or one typed. */
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
    expr = await vscode.window.showInputBox({ prompt: 'Tensor expression, evaluated as in the Debug Console', placeHolder: 'out.sum(), k.transpose(1, 2), loss' });
    if (!expr) return undefined;
  }
  // asked for by the user (a selection, a typed expression, a Variables item): calls are evaluated, as in the Debug Console
  const ok = checkExpression(expr, { calls: true });
  if (!ok.ok) { void vscode.window.showWarningMessage(`Tensorscope: ${expr}: ${ok.reason}`); return undefined; }
  const frame = await sessions.current();
  if (!frame) { void vscode.window.showWarningMessage('Tensorscope: no Python debug session is stopped'); return undefined; }
  return { expr, frame };
}
