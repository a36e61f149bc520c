/**
 * "Tensorscope: Trace Shapes" (palette, editor title, editor and Explorer context menus of a Python file),
 * "Tensorscope: Trace Shapes with Launch Configuration…" (program, args, cwd, env and python of a Python launch
 * configuration from launch.json) and "Tensorscope: Clear Shapes". The run has a cancellable progress
 * notification; cancelling keeps what was traced so far. The program's output goes to the "Tensorscope Trace"
 * output channel.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { runTrace, type TraceRun } from '../../debug/trace/runner';
import { explainTraceError } from '../../debug/trace/explain';
import { resolvePythonInterpreter } from '../python/interpreter';
import { log } from '../log';
import { ShapesView } from './shapesView';
import { launchTraceTarget, pythonLaunchConfigurations } from './launchConfig';
import { errorMessage } from '../../core/errors';

export interface TraceTarget {
  script: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** from a launch configuration; else the interpreter Tensorscope resolves */
  python?: string;
}

export interface TraceFeatures {
  view: ShapesView;
  /** the last finished run (tests) */
  lastRun(): TraceRun | undefined;
}

export function registerTraceFeatures(context: vscode.ExtensionContext): TraceFeatures {
  const view = new ShapesView();
  const output = vscode.window.createOutputChannel('Tensorscope Trace');
  let last: TraceRun | undefined;
  let running = false;

  const trace = async (target: TraceTarget): Promise<TraceRun | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Tensorscope: Trace Shapes runs the script; trust this workspace first.');
      return undefined;
    }
    if (running) {
      void vscode.window.showInformationMessage('Tensorscope: a shape trace is already running.');
      return undefined;
    }
    running = true;
    const name = path.basename(target.script);
    const python = target.python ?? (await resolvePythonInterpreter(vscode.Uri.file(target.script))).path;
    const roots = [...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), path.dirname(target.script), target.cwd];
    const maxSeconds = vscode.workspace.getConfiguration('tensorscope').get<number>('trace.maxSeconds', 300);
    output.clear();
    output.appendLine(`$ ${python} ${target.script} ${target.args.join(' ')}  (cwd ${target.cwd})`);
    log().info(`trace: ${python} ${target.script} (cwd ${target.cwd})`);
    try {
      const run = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Tracing shapes: ${name}`, cancellable: true },
        async (_progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            return await runTrace({
              script: target.script, python, args: target.args, cwd: target.cwd, env: target.env, roots, maxSeconds,
              output: (text) => output.append(text), signal: abort.signal,
            });
          } finally {
            sub.dispose();
          }
        },
      );
      last = run;
      if (run.fatal) {
        void vscode.window.showErrorMessage(`Tensorscope: ${run.fatal}`);
        return run;
      }
      view.show(run);
      const lines = new Set(run.ops.map((o) => `${o.file}:${o.line}`)).size;
      const stopped = run.limit ? ` (${run.limit})` : '';
      output.appendLine(`\n[Tensorscope] traced ${lines} lines in ${(run.elapsedMs / 1000).toFixed(1)} s${stopped}`);
      if (run.error) {
        const where = run.error.file ? `${path.basename(run.error.file)}:${run.error.line}` : name;
        const pick = await vscode.window.showWarningMessage(`${where}: ${explainTraceError(run.error).summary}`, 'Go to Line', 'Show Output');
        if (pick === 'Go to Line' && run.error.file && run.error.line) {
          const editor = await vscode.window.showTextDocument(vscode.Uri.file(run.error.file));
          const at = new vscode.Position(run.error.line - 1, 0);
          editor.selection = new vscode.Selection(at, at);
          editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        } else if (pick === 'Show Output') output.show(true);
      } else {
        vscode.window.setStatusBarMessage(`Tensorscope: traced ${lines} lines of ${name}${stopped}`, 8000);
      }
      return run;
    } catch (e) {
      const message = errorMessage(e);
      log().error(`trace failed: ${message}`);
      void vscode.window.showErrorMessage(`Tensorscope: Trace Shapes failed: ${message.split('\n')[0]}`, 'Show Output').then((p) => { if (p) output.show(true); });
      return undefined;
    } finally {
      running = false;
    }
  };

  const fileTarget = async (uri: vscode.Uri | undefined): Promise<TraceTarget | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const target = uri instanceof vscode.Uri ? uri : editor?.document.languageId === 'python' ? editor.document.uri : undefined;
    if (!target || target.scheme !== 'file') {
      void vscode.window.showErrorMessage('Tensorscope: open a Python file (saved on disk) to trace its shapes.');
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (doc?.isDirty) await doc.save();
    const folder = vscode.workspace.getWorkspaceFolder(target);
    return { script: target.fsPath, args: [], cwd: folder?.uri.fsPath ?? path.dirname(target.fsPath), env: process.env };
  };

  context.subscriptions.push(
    view, output,
    vscode.commands.registerCommand('tensorscope.traceShapes', async (uri?: vscode.Uri) => {
      const target = await fileTarget(uri);
      return target ? trace(target) : undefined;
    }),
    vscode.commands.registerCommand('tensorscope.traceShapesLaunch', async (name?: string) => {
      const configs = pythonLaunchConfigurations();
      if (!configs.length) {
        void vscode.window.showErrorMessage('Tensorscope: no Python launch configuration with a "program" in launch.json.');
        return undefined;
      }
      const chosen = typeof name === 'string' ? configs.find((c) => c.config.name === name)
        : (await vscode.window.showQuickPick(configs.map((c) => ({ label: c.config.name, description: String(c.config.program ?? ''), c })), { placeHolder: 'Trace the shapes of which launch configuration?' }))?.c;
      if (!chosen) return undefined;
      return trace(launchTraceTarget(chosen));
    }),
    vscode.commands.registerCommand('tensorscope.clearShapes', () => view.clear()),
  );
  return { view, lastRun: () => last };
}
