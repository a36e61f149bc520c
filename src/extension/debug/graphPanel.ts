/** The autograd-graph webview panel: shows one graph (dist/graph.js draws it), saves SVG/DOT exports. */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { AutogradGraph } from '../../debug/protocol';
import { graphToDot } from '../../debug/format';
import { GRAPH, type GraphProtocol } from '../../shared/protocol';
import { hostNote, parseFromView, type FromHost } from '../../shared/channel';

export const GRAPH_VIEW_TYPE = 'tensorscope.autogradGraph';

export class GraphPanel {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private pending: FromHost<GraphProtocol> | undefined;
  /** resolves on each `rendered` message (for tests and the bench) */
  lastRender: { nodes: number; ms: number } | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly title: string, private readonly expr: string, private readonly graph: AutogradGraph) {
    this.panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, `Autograd: ${title}`, vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    });
    this.panel.webview.html = this.html();
    this.panel.webview.onDidReceiveMessage((m: unknown) => { void this.onMessage(m); });
    this.post(hostNote(GRAPH, 'graph', { title, expr, graph }));
  }

  private post(m: FromHost<GraphProtocol>): void {
    if (!this.ready) { this.pending = m; return; }
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseFromView(GRAPH, raw);
    if (!parsed.ok || parsed.message.kind !== 'note') return;
    const m = parsed.message;
    if (m.type === 'ready') {
      this.ready = true;
      if (this.pending) { const p = this.pending; this.pending = undefined; this.post(p); }
    } else if (m.type === 'rendered') {
      this.lastRender = { nodes: m.body.nodes, ms: m.body.ms };
    } else if (m.type === 'export') {
      const { format } = m.body;
      const content = format === 'svg' ? m.body.content ?? '' : graphToDot(this.graph);
      const safe = this.expr.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60) || 'graph';
      const base = vscode.workspace.workspaceFolders?.[0]?.uri;
      const uri = await vscode.window.showSaveDialog({
        defaultUri: base ? vscode.Uri.joinPath(base, `autograd-${safe}.${format}`) : undefined,
        filters: format === 'svg' ? { SVG: ['svg'] } : { 'Graphviz DOT': ['dot', 'gv'] },
      });
      if (!uri) return;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
      void vscode.window.showInformationMessage(`Tensorscope: saved ${vscode.workspace.asRelativePath(uri)}`);
    }
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64');
    const script = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'graph.js'));
    const csp = `default-src 'none'; img-src ${this.panel.webview.cspSource} data:; style-src ${this.panel.webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';`;
    return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Autograd graph</title></head>
<body><div id="app" data-title="${escapeHtml(this.title)}">Loading the graph…</div>
<script nonce="${nonce}" src="${script.toString()}"></script></body></html>`;
  }

  reveal(): void { this.panel.reveal(); }
  get webviewPanel(): vscode.WebviewPanel { return this.panel; }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c] ?? c));
}
