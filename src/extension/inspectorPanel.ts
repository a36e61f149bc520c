/**
 * One inspector in VS Code: a webview (a custom editor's or a panel's) bound to an InspectorController.
 * Moves validated messages both ways, re-reads the file when it changes on disk (the webview keeps its
 * place: it re-requests its current page with its own query), and runs "Compute All Statistics" with a
 * cancellable progress notification.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { Checkpoint, TensorInfo } from '../core/model';
import { INSPECTOR, type InspectorFromHost } from '../shared/protocol';
import { hostNote, parseFromView } from '../shared/channel';
import { InspectorController, type CoreApi, type InspectorSource } from './inspectorController';
import type { InspectorRegistry, OpenInspector } from './inspectorRegistry';
import { webviewHtml, webviewOptions } from './html';
import { inspectorSettings } from './settings';
import { log } from './log';

let nextId = 1;

export const PANEL_VIEW_TYPE = 'tensorscope.inspectorPanel';

export class Inspector implements OpenInspector, vscode.Disposable {
  readonly id = `inspector-${nextId++}`;
  readonly controller: InspectorController;
  private readonly disposables: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private pendingReveal: string | undefined;
  private webviewReady = false;
  private loaded: Promise<boolean> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    source: InspectorSource,
    private readonly registry: InspectorRegistry,
    extensionUri: vscode.Uri,
    core: CoreApi,
  ) {
    const settings = inspectorSettings();
    this.controller = new InspectorController(source, core, (m) => this.post(m), {
      maxSliceElements: settings.maxSliceElements,
      groupByModule: settings.groupByModule,
      log: (level, message) => (level === 'error' ? log().error(message) : level === 'warn' ? log().warn(message) : log().info(message)),
    });
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, this.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) registry.setActive(this);
        // a hidden webview is discarded (no retainContextWhenHidden); it says `ready` again when shown
        if (!e.webviewPanel.visible) this.webviewReady = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    if (source.kind === 'file' && settings.reloadOnChange) this.watch(source.path);
    registry.add(this);
    this.loaded = this.controller.load().then((ok) => { registry.notifyChanged(); return ok; });
  }

  get title(): string {
    return this.controller.displayName;
  }

  get uri(): vscode.Uri | undefined {
    return this.controller.source.kind === 'file' ? vscode.Uri.file(this.controller.source.path) : undefined;
  }

  get checkpoint(): Checkpoint | null {
    return this.controller.checkpoint;
  }

  tensor(name: string): TensorInfo | undefined {
    return this.controller.tensor(name);
  }

  /** until the webview says `ready`, only the latest loading/init/fatal is kept (it is sent on `ready`) */
  private pendingStatus: InspectorFromHost | null = null;

  private post(m: InspectorFromHost): void {
    if (!this.webviewReady && m.kind === 'note' && (m.type === 'loading' || m.type === 'init' || m.type === 'fatal')) {
      this.pendingStatus = m;
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  reveal(tensorName?: string): void {
    this.panel.reveal(undefined, false);
    if (tensorName) {
      if (this.webviewReady && this.controller.checkpoint) this.post(hostNote(INSPECTOR, 'reveal', { name: tensorName }));
      else this.pendingReveal = tensorName;
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseFromView(INSPECTOR, raw);
    if (!parsed.ok) {
      log().warn(`dropped a malformed message from the webview (${parsed.error}): ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const m = parsed.message;
    if (m.kind !== 'note') { await this.controller.receive(m); return; }
    switch (m.type) {
      case 'ready':
        this.webviewReady = true;
        // the webview (re)started: after hiding or a reload it has lost everything but its state
        if (this.pendingStatus && !(this.pendingStatus.kind === 'note' && this.pendingStatus.type === 'init')) this.post(this.pendingStatus);
        this.pendingStatus = null;
        if (await this.loaded) this.controller.sendInit();
        if (this.pendingReveal) { this.post(hostNote(INSPECTOR, 'reveal', { name: this.pendingReveal })); this.pendingReveal = undefined; }
        return;
      case 'copy': {
        const { text } = m.body;
        await vscode.env.clipboard.writeText(text);
        vscode.window.setStatusBarMessage(`Copied ${text.length > 60 ? text.slice(0, 57) + '…' : text}`, 2000);
        return;
      }
      case 'log': {
        const { level, message } = m.body;
        if (level === 'error') log().error(`webview: ${message}`);
        else if (level === 'warn') log().warn(`webview: ${message}`);
        else log().info(`webview: ${message}`);
        return;
      }
      case 'command':
        if (m.body.command === 'computeAllStats') await this.computeAllStatistics();
        else await this.reload();
        return;
    }
  }

  private watch(file: string): void {
    const uri = vscode.Uri.file(file);
    let pattern: vscode.RelativePattern;
    try {
      // a folder (distributed checkpoint, sharded set) changes through its files
      pattern = new vscode.RelativePattern(uri, '**/*');
      void vscode.workspace.fs.stat(uri).then((st) => {
        if (st.type & vscode.FileType.Directory) return;
        this.watcher?.dispose();
        this.watcher = this.makeWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      }, () => undefined);
    } catch {
      return;
    }
    this.watcher = this.makeWatcher(pattern);
  }

  private watcher: vscode.Disposable | undefined;

  private makeWatcher(pattern: vscode.RelativePattern): vscode.Disposable {
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    const onChange = () => this.scheduleReload();
    w.onDidChange(onChange);
    w.onDidCreate(onChange);
    w.onDidDelete(onChange);
    return w;
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      log().info(`${this.controller.path} changed on disk; re-reading`);
      void this.reload();
    }, inspectorSettings().reloadDelayMs);
  }

  async reload(): Promise<void> {
    this.loaded = this.controller.load();
    await this.loaded;
    this.registry.notifyChanged();
  }

  async computeAllStatistics(): Promise<void> {
    const cp = this.controller.checkpoint;
    if (!cp) return;
    const total = cp.tensors.length;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Tensorscope: statistics of ${total} tensors in ${this.title}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const t0 = Date.now();
        let lastPost = 0;
        try {
          const r = await this.controller.computeAllStats(abort.signal, (done, n, name) => {
            progress.report({ increment: 100 / Math.max(n, 1), message: `${done}/${n} ${name}` });
            const now = Date.now();
            if (now - lastPost > 500 || done === n) { lastPost = now; this.post(hostNote(INSPECTOR, 'allStats', { done, total: n, finished: false, suspicious: this.controller.suspicious().length })); }
          });
          const suspicious = this.controller.suspicious();
          this.post(hostNote(INSPECTOR, 'allStats', { done: r.done, total, finished: true, suspicious: suspicious.length }));
          const secs = ((Date.now() - t0) / 1000).toFixed(1);
          log().info(`statistics of ${r.done}/${total} tensors of ${this.controller.path} in ${secs} s${abort.signal.aborted ? ' (cancelled)' : ''}; ${suspicious.length} flagged${suspicious.length ? `: ${suspicious.slice(0, 20).join(', ')}` : ''}`);
          if (abort.signal.aborted) {
            void vscode.window.showInformationMessage(`Tensorscope: statistics cancelled after ${r.done} of ${total} tensors.`);
          } else if (suspicious.length) {
            const nonFinite = r.withNonFinite.length ? ` (${r.withNonFinite.length} with NaN or Inf)` : '';
            // the statistics are in the table's columns; the message only points there
            void vscode.window.showWarningMessage(`Tensorscope: statistics of ${r.done} tensors done in ${secs} s; ${suspicious.length} suspicious${nonFinite}: ${suspicious.slice(0, 3).join(', ')}${suspicious.length > 3 ? ', …' : ''}`, 'Show Suspicious').then((choice) => {
              if (choice) { this.reveal(); this.post(hostNote(INSPECTOR, 'showTable', { filter: 'flag:>0' })); }
            });
          } else {
            void vscode.window.showInformationMessage(`Tensorscope: statistics of ${r.done} tensors done in ${secs} s; nothing suspicious (no NaN/Inf, all-zero, constant or exploding tensor). They are in the table's columns.`);
          }
        } finally {
          sub.dispose();
        }
      },
    );
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
    this.registry.remove(this);
    void this.controller.dispose();
  }
}
