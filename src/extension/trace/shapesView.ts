/**
 * What a shape trace shows in the editors: end-of-line shapes on every traced line, a red decoration and a
 * diagnostic on the failing line, and a hover listing every op of a line. Results are kept per file, so a
 * module in another file shows its shapes when it is opened; editing a file clears its shapes.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { TraceOp } from '../../debug/trace/result';
import type { TraceRun } from '../../debug/trace/runner';
import { explainTraceError, type ErrorExplanation } from '../../debug/trace/explain';
import { lineSummary, opLines, opsByLine } from '../../debug/trace/format';

interface FileShapes {
  lines: Map<number, TraceOp[]>;
  error?: { line: number; explanation: ErrorExplanation; type: string; message: string };
}

const key = (fsPath: string) => path.normalize(fsPath);

export class ShapesView implements vscode.Disposable {
  private readonly files = new Map<string, FileShapes>();
  private readonly shapeType = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly errorType = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('inputValidation.errorBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorError.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: { color: new vscode.ThemeColor('errorForeground'), margin: '0 0 0 2em' },
  });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('tensorscope-trace');
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      this.shapeType, this.errorType, this.diagnostics,
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.decorate(e))),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.files.has(key(e.document.uri.fsPath))) this.clear(e.document.uri);
      }),
      vscode.languages.registerHoverProvider({ scheme: 'file', language: 'python' }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
    );
  }

  /** Replaces everything shown with one run's result. */
  show(run: TraceRun): void {
    this.files.clear();
    this.diagnostics.clear();
    for (const [file, lines] of opsByLine(run.ops)) this.files.set(key(file), { lines });
    const e = run.error;
    if (e?.file && e.line) {
      const entry = this.files.get(key(e.file)) ?? { lines: new Map<number, TraceOp[]>() };
      entry.error = { line: e.line, explanation: explainTraceError(e), type: e.type, message: e.message };
      this.files.set(key(e.file), entry);
      const range = new vscode.Range(e.line - 1, 0, e.line - 1, Number.MAX_SAFE_INTEGER);
      const { summary, details } = entry.error.explanation;
      const diagnostic = new vscode.Diagnostic(range, [summary, ...details].join('\n'), vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'Tensorscope trace';
      diagnostic.code = e.type;
      this.diagnostics.set(vscode.Uri.file(e.file), [diagnostic]);
    }
    void vscode.commands.executeCommand('setContext', 'tensorscope.shapesShown', this.files.size > 0);
    vscode.window.visibleTextEditors.forEach((ed) => this.decorate(ed));
  }

  /** Clears one file (edited), or everything. */
  clear(uri?: vscode.Uri): void {
    if (uri) {
      this.files.delete(key(uri.fsPath));
      this.diagnostics.delete(uri);
    } else {
      this.files.clear();
      this.diagnostics.clear();
    }
    void vscode.commands.executeCommand('setContext', 'tensorscope.shapesShown', this.files.size > 0);
    vscode.window.visibleTextEditors.forEach((ed) => this.decorate(ed));
  }

  /** The traced lines of a file (for tests and the hover). */
  linesOf(fsPath: string): ReadonlyMap<number, TraceOp[]> | undefined {
    return this.files.get(key(fsPath))?.lines;
  }

  private decorate(editor: vscode.TextEditor): void {
    const entry = editor.document.uri.scheme === 'file' ? this.files.get(key(editor.document.uri.fsPath)) : undefined;
    const doc = editor.document;
    const shapes: vscode.DecorationOptions[] = [];
    for (const [line, ops] of entry?.lines ?? []) {
      if (line < 1 || line > doc.lineCount || line === entry?.error?.line) continue;
      const end = doc.lineAt(line - 1).range.end;
      shapes.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: lineSummary(ops) } } });
    }
    const errors: vscode.DecorationOptions[] = [];
    const err = entry?.error;
    if (err && err.line <= doc.lineCount) {
      const end = doc.lineAt(err.line - 1).range.end;
      const text = `✖ ${err.explanation.summary}`;
      errors.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text.length > 140 ? `${text.slice(0, 139)}…` : text } } });
    }
    editor.setDecorations(this.shapeType, shapes);
    editor.setDecorations(this.errorType, errors);
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const entry = this.files.get(key(doc.uri.fsPath));
    const ops = entry?.lines.get(pos.line + 1);
    const err = entry?.error?.line === pos.line + 1 ? entry.error : undefined;
    if (!ops && !err) return undefined;
    const md = new vscode.MarkdownString();
    if (err) {
      md.appendMarkdown(`**Tensorscope trace: ${err.type}**\n\n`);
      md.appendCodeblock([err.explanation.summary, ...err.explanation.details].join('\n'), 'text');
    }
    if (ops) {
      md.appendMarkdown(`**Tensorscope trace** — line ${pos.line + 1}, ${ops.length} op${ops.length === 1 ? '' : 's'}\n\n`);
      md.appendCodeblock(opLines(ops, 16).join('\n'), 'text');
    }
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }
}
