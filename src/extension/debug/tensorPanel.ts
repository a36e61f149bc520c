/** A small webview with a live tensor's details (used when the inspector cannot take a live tensor). */
import * as vscode from 'vscode';
import type { LiveTensor } from '../../debug/protocol';
import { fmtNum, shapeText, tensorLine } from '../../debug/format';
import { formatBytes } from '../../core/units';
import { escapeHtml } from './graphPanel';

export function showTensorPanel(expr: string, t: LiveTensor): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel('tensorscope.liveTensor', `Tensor: ${expr}`, vscode.ViewColumn.Beside, { enableScripts: false });
  const rows: [string, string][] = [
    ['expression', expr], ['summary', tensorLine(t)], ['type', t.type], ['shape', shapeText(t.shape)], ['dtype', t.dtype],
    ['device', t.device], ['stride', shapeText(t.stride)], ['storage offset', String(t.storageOffset ?? 0)],
    ['contiguous', t.contiguous ? 'yes' : `no${t.memoryFormat ? ` (${t.memoryFormat})` : ''}`], ['requires_grad', String(t.requiresGrad)],
    ['grad_fn', t.gradFn ?? '—'], ['elements', String(t.numel)], ['memory', formatBytes(t.bytes)],
  ];
  if (t.stats) {
    rows.push(['min', fmtNum(t.stats.min)], ['max', fmtNum(t.stats.max)], ['mean', fmtNum(t.stats.mean)], ['std', fmtNum(t.stats.std)],
      ['NaN', String(t.stats.nan)], ['Inf', String(t.stats.inf)], ['zeros', String(t.stats.zeros)]);
  }
  if (t.note) rows.push(['note', t.note]);
  panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<style>body{font-family:var(--vscode-font-family);color:var(--vscode-foreground)} td{padding:2px 12px 2px 0;vertical-align:top}
td:first-child{color:var(--vscode-descriptionForeground)} code{font-family:var(--vscode-editor-font-family)}</style></head>
<body><h2 id="live-tensor-title">${escapeHtml(expr)}</h2><table id="live-tensor">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td><code>${escapeHtml(v)}</code></td></tr>`).join('')}</table></body></html>`;
  return panel;
}
