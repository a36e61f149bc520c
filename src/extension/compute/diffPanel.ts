/**
 * The Compare Checkpoints result as a sortable table in a webview: which state dict was taken from each file
 * (with a button to choose others), whether load_state_dict(strict=True) would succeed, key problems (missing,
 * unexpected, size and dtype mismatches), then one row per matched tensor. Built with textContent from a JSON payload in the
 * page, under the same strict CSP as the inspector (nonce'd inline script, no strings from files in the markup).
 */
import * as vscode from 'vscode';
import type { CheckpointDiff } from '../../compute/diffValues';
import { contentSecurityPolicy, escapeHtml, makeNonce } from '../html';

const SCRIPT = `
const data = JSON.parse(document.getElementById('payload').textContent);
const root = document.getElementById('root');
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function section(title, items) {
  const h = el('h3', title + ' (' + items.length + ')');
  root.append(h);
  if (!items.length) { root.append(el('p', '—', 'muted')); return; }
  const ul = el('ul'); for (const i of items) ul.append(el('li', i)); root.append(ul);
}
const vscode = acquireVsCodeApi();
root.append(el('p', 'A (the model): ' + data.a, 'muted'), el('p', 'B (loaded into A as load_state_dict(strict=True) would): ' + data.b, 'muted'));
const choice = el('div', undefined, 'choice');
choice.append(el('p', 'A: ' + data.choice.a.text, 'choice-a'), el('p', 'B: ' + data.choice.b.text, 'choice-b'));
const choose = el('button', 'Choose State Dicts…');
choose.title = 'Pick the state dict inside each file and the key prefixes to remove';
choose.addEventListener('click', () => vscode.postMessage({ type: 'choose' }));
choice.append(choose);
root.append(choice);
const n = (k, one, many) => k + ' ' + (k === 1 ? one : many);
root.append(el('p', data.strictOk ? 'load_state_dict(strict=True) would succeed' : 'load_state_dict(strict=True) would fail: ' + [n(data.missing.length, 'missing key', 'missing keys'), n(data.unexpected.length, 'unexpected key', 'unexpected keys'), n(data.shapeMismatch.length, 'size mismatch', 'size mismatches')].join(', '), data.strictOk ? 'verdict ok' : 'verdict fail'));
section('Missing keys', data.missing);
section('Unexpected keys', data.unexpected);
section('Size mismatches', data.shapeMismatch.map(s => s.message));
section('Dtype mismatches', data.dtypeMismatch.map(s => s.key + ': ' + s.bDtype + ' in B, ' + s.aDtype + ' in A'));
const cols = [['key', 'tensor'], ['dtype', 'dtype'], ['shape', 'shape'], ['max_abs_diff', 'max |a−b|'], ['mae', 'mean |a−b|'], ['cosine', 'cosine']];
let sortKey = 'max_abs_diff', desc = true;
const table = el('table'); const thead = el('thead'); const tbody = el('tbody');
const hr = el('tr');
for (const [k, label] of cols) {
  const th = el('th', label); th.dataset.key = k;
  th.addEventListener('click', () => { if (sortKey === k) desc = !desc; else { sortKey = k; desc = k !== 'key' && k !== 'dtype'; } render(); });
  hr.append(th);
}
thead.append(hr); table.append(thead, tbody);
root.append(el('h3', 'Matched tensors (' + data.tensors.length + ')'), table);
if (data.provider) root.append(el('p', 'computed on ' + data.provider + ' in ' + (data.sessionMs + data.runMs).toFixed(0) + ' ms', 'muted'));
function val(r, k) { return k === 'shape' ? r.shape.reduce((a, b) => a * b, 1) : r[k]; }
function render() {
  const rows = [...data.tensors].sort((x, y) => {
    const a = val(x, sortKey), b = val(y, sortKey);
    if (a === null) return 1; if (b === null) return -1;
    const c = typeof a === 'string' ? a.localeCompare(b) : a - b;
    return desc ? -c : c;
  });
  tbody.replaceChildren(...rows.map(r => {
    const tr = el('tr');
    for (const [k] of cols) {
      const v = k === 'shape' ? (r.shape.length ? r.shape.join('×') : 'scalar') : r[k];
      tr.append(el('td', v === null || v === undefined ? (r.skipped ? '(' + r.skipped + ')' : '—') : typeof v === 'number' ? v.toPrecision(6) : String(v), typeof v === 'number' ? 'num' : ''));
    }
    return tr;
  }));
  for (const th of thead.querySelectorAll('th')) th.classList.toggle('sorted', th.dataset.key === sortKey);
}
render();
`;

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
th { cursor: pointer; user-select: none; } th.sorted { text-decoration: underline; }
td.num { text-align: right; font-family: var(--vscode-editor-font-family); }
.muted { opacity: 0.7; }
.choice { border-left: 3px solid var(--vscode-textLink-foreground); padding: 2px 8px; margin: 8px 0; }
.choice p { margin: 2px 0; overflow-wrap: anywhere; }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 3px 10px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
.verdict { font-weight: 600; }
.verdict.fail { color: var(--vscode-errorForeground); }
`;

/** Show a diff in a new panel, or in `panel` again after the user chose other state dicts. */
export function showDiffPanel(d: CheckpointDiff, existing?: vscode.WebviewPanel): vscode.WebviewPanel {
  const title = `Compare: ${d.a.split(/[\\/]/).pop()} ↔ ${d.b.split(/[\\/]/).pop()}`;
  const panel = existing ?? vscode.window.createWebviewPanel('tensorscope.diff', title, vscode.ViewColumn.Active, { enableScripts: true, enableCommandUris: false, localResourceRoots: [] });
  const nonce = makeNonce();
  // JSON inside <script type="application/json">: escape '<' so no file-derived key can close the tag
  const payload = JSON.stringify(d).replace(/</g, '\\u003c');
  panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(panel.webview.cspSource, nonce)}">
<style nonce="${nonce}">${STYLE}</style><title>${escapeHtml(title)}</title></head>
<body><div id="root"></div>
<script id="payload" type="application/json" nonce="${nonce}">${payload}</script>
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
  return panel;
}
