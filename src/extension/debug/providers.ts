/** Hover and inline-values providers for Python files while a Python debug session is stopped. */
import * as vscode from 'vscode';
import { expressionAt, namesOnLine } from '../../debug/expression';
import { hoverMarkdown, inlineText } from '../../debug/format';
import { isLiveTensor } from '../../debug/protocol';
import { frameText } from '../../debug/liveCheckpoint';
import type { LiveSessions } from './liveSessions';
import { PYTHON_DEBUG_TYPES, debugSettings } from './settings';
import { errorMessage } from '../../core/errors';

export class LiveHoverProvider implements vscode.HoverProvider {
  constructor(private readonly sessions: LiveSessions) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    if (!debugSettings().hover) return undefined;
    const found = expressionAt(document.lineAt(position.line).text, position.character);
    if (!found) return undefined;
    const frame = await this.sessions.current();
    if (!frame) return undefined;
    let answer;
    try {
      answer = await frame.helper.hover(found.text, frame.frameId);
    } catch (e) {
      return new vscode.Hover(new vscode.MarkdownString(`**Tensorscope**: ${errorMessage(e)}`));
    }
    const range = new vscode.Range(position.line, found.start, position.line, found.end);
    // plain Python values are the debugger's own hover's business; show tensors, arrays, containers, modules
    if ('error' in answer) {
      if (/not defined/.test(answer.error)) {
        const where = frameText(await this.sessions.frameLabel(frame));
        const md = new vscode.MarkdownString('**Tensorscope**: ');
        md.appendText(`${found.text} is not in this frame (${where})`);
        return new vscode.Hover(md, range);
      }
    } else if (answer.kind === 'other') return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown(answer));
    if (!('error' in answer) && isLiveTensor(answer)) {
      const arg = encodeURIComponent(JSON.stringify([{ expression: found.text }]));
      md.appendMarkdown(`\n\n[Inspect Tensor](command:tensorscope.debug.inspectTensor?${arg})` +
        (answer.gradFn ? ` · [Trace Autograd Graph](command:tensorscope.debug.traceAutograd?${arg})` : ''));
      md.isTrusted = { enabledCommands: ['tensorscope.debug.inspectTensor', 'tensorscope.debug.traceAutograd'] };
    }
    return new vscode.Hover(md, range);
  }
}

export class InlineShapesProvider implements vscode.InlineValuesProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeInlineValues = this.emitter.event;

  constructor(private readonly sessions: LiveSessions) {
    sessions.onDidChange(() => this.emitter.fire());
  }

  async provideInlineValues(document: vscode.TextDocument, viewPort: vscode.Range, context: vscode.InlineValueContext): Promise<vscode.InlineValue[]> {
    if (!debugSettings().inlineShapes) return [];
    const session = vscode.debug.activeDebugSession;
    if (!session || !PYTHON_DEBUG_TYPES.has(session.type)) return [];
    const last = Math.min(context.stoppedLocation.end.line, viewPort.end.line);
    const first = Math.max(viewPort.start.line, last - 200);
    const perLine: { line: number; names: string[] }[] = [];
    const all = new Set<string>();
    for (let l = first; l <= last; l++) {
      const names = namesOnLine(document.lineAt(l).text).map((n) => n.name);
      if (names.length) perLine.push({ line: l, names });
      names.forEach((n) => all.add(n));
    }
    if (!all.size) return [];
    let shapes;
    try {
      shapes = await this.sessions.helperFor(session).shapes([...all], context.frameId);
    } catch {
      return [];
    }
    const out: vscode.InlineValue[] = [];
    for (const { line, names } of perLine) {
      const texts = names.filter((n) => shapes[n]).map((n) => inlineText(n, shapes[n]!));
      if (!texts.length) continue;
      const end = document.lineAt(line).range.end;
      out.push(new vscode.InlineValueText(new vscode.Range(end, end), texts.join(', ')));
    }
    return out;
  }
}
