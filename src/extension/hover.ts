/**
 * Hover tooltips in Python: a string literal that names a tensor of a checkpoint open in an inspector
 * (`sd["layer1.0.conv1.weight"]`) shows its shape, dtype, strides and file.
 */
import * as vscode from 'vscode';
import type { InspectorRegistry } from './inspectorRegistry';
import { inspectorSettings } from './settings';
import { formatShape } from '../shared/rows';
import { formatBytes } from '../core/units';
import { layoutKind, numelOf } from '../core/layout';
import { dtypeInfo } from '../core/dtype';
import { stringLiteralAt } from '../shared/pyString';

export function registerHover(context: vscode.ExtensionContext, registry: InspectorRegistry): void {
  context.subscriptions.push(vscode.languages.registerHoverProvider({ language: 'python' }, {
    provideHover(document, position) {
      if (!inspectorSettings().hoverEnabled) return undefined;
      const lit = stringLiteralAt(document.lineAt(position.line).text, position.character);
      if (!lit || !lit.text || lit.text.length > 1000) return undefined;
      const found = registry.findTensor(lit.text);
      if (!found.length) return undefined;
      const md = new vscode.MarkdownString();
      md.isTrusted = false;
      md.supportHtml = false;
      for (const { inspector, tensor: t } of found.slice(0, 3)) {
        let bytes = '';
        try { bytes = formatBytes(numelOf(t.shape) * dtypeInfo(t.dtype).itemSize); } catch { /* unknown dtype */ }
        md.appendText(`${t.name}\n`);
        md.appendCodeblock([
          `shape   ${formatShape(t.shape)}`,
          `dtype   ${t.dtype}${t.numpyDtype ? ` (numpy ${t.numpyDtype})` : ''}`,
          `stride  ${t.layout === 'strided' ? formatShape(t.stride) : t.layout}${t.storageOffset ? `  offset ${t.storageOffset}` : ''}`,
          `layout  ${layoutKind(t.shape, t.stride, t.layout)}  ${t.device}${bytes ? `  ${bytes}` : ''}`,
        ].join('\n'), 'text');
        md.appendText(`in ${inspector.uri ? vscode.workspace.asRelativePath(inspector.uri) : inspector.title}\n`);
      }
      if (found.length > 3) md.appendText(`… and ${found.length - 3} more open checkpoints`);
      return new vscode.Hover(md, new vscode.Range(position.line, lit.start, position.line, lit.end));
    },
  }));
}
