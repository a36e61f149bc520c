/**
 * The Compare Checkpoints panel: the webview module webview/compare/main.ts (bundled as dist/compare.js) asks
 * for the report through src/shared/protocol.ts COMPARE and draws it; this side only answers and forwards logs.
 * Same page, CSP and stylesheet as the inspector (html.ts).
 */
import * as vscode from 'vscode';
import type { CheckpointDiff } from '../../compute/diffValues';
import { COMPARE, type CompareProtocol } from '../../shared/protocol';
import { hostNote, parseFromView, RequestServer } from '../../shared/channel';
import { errorMessage } from '../../core/errors';
import { webviewHtml, webviewOptions } from '../html';
import { log } from '../log';

const EXTENSION_ID = 'tensorscope.tensorscope';

/** the open panels' "show this report" (a panel shows a new report when the comparison is run again) */
const shown = new WeakMap<vscode.WebviewPanel, (report: CheckpointDiff) => void>();

/** Show a report in a new panel, or in `existing` again; `onChoose`: the view's "Choose State Dicts…" button. */
export function showDiffPanel(d: CheckpointDiff, existing?: vscode.WebviewPanel, onChoose?: () => void): vscode.WebviewPanel {
  const again = existing && shown.get(existing);
  if (existing && again) { again(d); return existing; }
  const extensionUri = vscode.extensions.getExtension(EXTENSION_ID)?.extensionUri;
  if (!extensionUri) throw new Error(`extension ${EXTENSION_ID} not found`);
  const title = `Compare: ${d.a.split(/[\\/]/).pop()} ↔ ${d.b.split(/[\\/]/).pop()}`;
  const panel = vscode.window.createWebviewPanel('tensorscope.diff', title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  let report = d;
  const post = (m: unknown): void => void panel.webview.postMessage(m);
  const server = new RequestServer<CompareProtocol>({ getReport: () => report }, post, errorMessage);
  panel.webview.onDidReceiveMessage((raw: unknown) => {
    const parsed = parseFromView(COMPARE, raw);
    if (!parsed.ok) { log().warn(`dropped a malformed message from the Compare view (${parsed.error})`); return; }
    const m = parsed.message;
    if (m.kind !== 'note') void server.handle(m);
    else if (m.type === 'choose') onChoose?.();
    else log().warn(`compare webview: ${m.body.message}`);
  });
  panel.onDidDispose(() => server.cancelAll());
  shown.set(panel, (r) => { report = r; post(hostNote(COMPARE, 'report', { report: r })); });
  panel.webview.html = webviewHtml(panel.webview, extensionUri, title, 'compare', 'root');
  return panel;
}
