/**
 * The inspector webview's entry: state (persisted with setState, restored after hiding/reload), the tab bar,
 * the request channel to the host, and the four views.
 */
import { h, clear } from './dom';
import { registerToolkit } from './ui/toolkit';
import { send, loadState, saveState, requestId } from './vscodeApi';
import { parseHostMessage, isInspectorState, VIEWS, type HostMessage, type InspectorState, type ViewName, type WebviewMessage } from '../src/shared/protocol';
import { DEFAULT_QUERY } from '../src/shared/tableModel';
import type { App, Request } from './app';
import { SummaryView } from './views/summary';
import { TableView } from './views/table';
import { DetailsView } from './views/details';
import { ContentView } from './views/content';

registerToolkit();

const restored = loadState();
const state: InspectorState = isInspectorState(restored)
  ? restored
  : { uri: '', view: 'table', query: { ...DEFAULT_QUERY }, scrollTop: 0, selected: null, details: null, sliceExpr: '' };

const handlers = new Map<number, (m: HostMessage) => void>();
let saveTimer: number | undefined;
let currentUri: string | null = null;

const app: App = {
  state,
  tensorCount: 0,
  save: () => saveState(state),
  saveSoon: () => {
    if (saveTimer !== undefined) return;
    saveTimer = window.setTimeout(() => { saveTimer = undefined; saveState(state); }, 250);
  },
  call: (message: Request, onReply) => {
    const id = requestId();
    handlers.set(id, onReply);
    send({ ...message, requestId: id } as WebviewMessage);
    return id;
  },
  send,
  drop: (id) => { handlers.delete(id); },
  showView: (v) => showView(v),
  openDetails: (name) => {
    state.details = name;
    state.selected = name;
    app.save();
    details.load(name);
    showView('details');
  },
  showInTable: (name) => {
    showView('table');
    table.focus(name);
  },
  filterTable: (filter) => {
    showView('table');
    table.setFilter(filter);
  },
  copy: (text) => send({ type: 'copy', text }),
};

const summary = new SummaryView(app);
const table = new TableView(app);
const details = new DetailsView(app);
const content = new ContentView(app);
const views: Record<ViewName, HTMLElement> = { summary: summary.element, table: table.element, details: details.element, content: content.element };
const LABELS: Record<ViewName, string> = { summary: 'Summary', table: 'Tensors', details: 'Details', content: 'Content' };

const title = h('span', { class: 'title', attrs: { id: 'file-title' } });
const tabs = h('div', { class: 'tabs', attrs: { role: 'tablist' } }, ...VIEWS.map((v) => h('button', {
  class: 'tab', attrs: { role: 'tab', id: `tab-${v}`, 'data-view': v }, on: { click: () => showView(v) },
}, LABELS[v])));
const banner = h('div', { class: 'banner', attrs: { id: 'banner', hidden: true } });
const body = h('main', { class: 'views' }, ...Object.values(views));
const root = document.getElementById('app') ?? document.body;
clear(root);
root.append(h('header', { class: 'top' }, title, tabs), banner, body);

function showView(v: ViewName): void {
  state.view = v;
  app.save();
  for (const name of VIEWS) {
    views[name].hidden = name !== v;
    const tab = document.getElementById(`tab-${name}`);
    tab?.classList.toggle('active', name === v);
    tab?.setAttribute('aria-selected', String(name === v));
  }
  if (v === 'table') table.schedule();
}

function showBanner(text: string | null, kind: 'info' | 'error' = 'info'): void {
  banner.hidden = text === null;
  banner.className = `banner ${kind}`;
  banner.textContent = text ?? '';
}

function onMessage(m: HostMessage): void {
  switch (m.type) {
    case 'loading':
      if (!app.tensorCount) showBanner(`Reading ${m.file}…`);
      else showBanner(`${m.file} changed on disk; re-reading…`);
      return;
    case 'fatal':
      showBanner(`Cannot read ${m.file}: ${m.message}`, 'error');
      return;
    case 'init': {
      showBanner(null);
      const sameFile = currentUri === m.file.uri || (currentUri === null && state.uri === m.file.uri);
      currentUri = m.file.uri;
      if (!sameFile) {
        // a different file: start fresh but keep the user's table preferences
        Object.assign(state, { uri: m.file.uri, view: 'table', scrollTop: 0, selected: null, details: null, sliceExpr: '', query: { ...state.query, filter: '', collapsed: [], grouped: state.uri === '' ? m.defaultGrouped : state.query.grouped } });
      }
      state.uri = m.file.uri;
      app.tensorCount = m.tensorCount;
      // an op's result is titled by its call alone: "interpolate(conv1.weight, size=6×6, bilinear)"
      title.textContent = m.file.format === 'computed' ? m.file.name : `${m.file.name} — ${m.file.format}, ${m.tensorCount} tensor${m.tensorCount === 1 ? '' : 's'}`;
      title.title = m.file.path;
      summary.update(m.summary);
      content.update(m.content, m.optimizers);
      table.reset(sameFile);
      if (m.firstPage) table.seed(m.firstPage);
      if (state.details) details.load(state.details);
      showView(m.tensorCount === 0 && state.view === 'table' ? 'summary' : state.view);
      app.save();
      document.body.dataset.generation = String(m.file.generation);
      return;
    }
    case 'reveal':
      app.openDetails(m.name);
      table.focus(m.name);
      return;
    case 'allStats':
      summary.allStatsProgress(m.done, m.total, m.finished, m.suspicious ?? 0);
      table.refresh();
      return;
    case 'showTable':
      app.filterTable(m.filter);
      return;
    default: {
      const handler = handlers.get(m.requestId);
      if (handler) handler(m);
      if (m.type === 'page' || m.type === 'details' || m.type === 'values' || m.type === 'stats') {
        if (m.type !== 'stats') handlers.delete(m.requestId);
      }
    }
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostMessage(e.data);
  if (m) onMessage(m);
});
document.addEventListener('securitypolicyviolation', (e) => send({ type: 'log', level: 'warn', message: `CSP ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} sample=${JSON.stringify(e.sample)}` }));
window.addEventListener('error', (e) => send({ type: 'log', level: 'error', message: `${e.message} at ${e.filename}:${e.lineno}` }));

showView(state.view);
send({ type: 'ready', state: isInspectorState(restored) ? state : null });
