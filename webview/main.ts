/**
 * The inspector webview's entry: state (persisted with setState, restored after hiding/reload), the tab bar,
 * the connection to the host (requests as promises, src/shared/protocol.ts INSPECTOR), and the four views.
 */
import { h, clear } from './dom';
import { registerToolkit } from './ui/toolkit';
import { loadState, saveState } from './vscodeApi';
import { connect } from './channel';
import { INSPECTOR, isInspectorState, VIEWS, type InspectorProtocol, type InspectorState, type ViewName } from '../src/shared/protocol';
import type { HostNote } from '../src/shared/channel';
import { DEFAULT_QUERY } from '../src/shared/tableModel';
import type { App } from './app';
import { SummaryView } from './views/summary';
import { TableView } from './views/table';
import { DetailsView } from './views/details';
import { ContentView } from './views/content';

registerToolkit();

const restored = loadState();
const state: InspectorState = isInspectorState(restored)
  ? restored
  : { uri: '', view: 'table', query: { ...DEFAULT_QUERY }, scrollTop: 0, selected: null, details: null, sliceExpr: '' };

let saveTimer: number | undefined;
let currentUri: string | null = null;

const host = connect(INSPECTOR, (m) => onNote(m));

const app: App = {
  state,
  tensorCount: 0,
  save: () => saveState(state),
  saveSoon: () => {
    if (saveTimer !== undefined) return;
    saveTimer = window.setTimeout(() => { saveTimer = undefined; saveState(state); }, 250);
  },
  request: (type, params, options) => host.client.request(type, params, options),
  note: (type, body) => host.note(type, body),
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
  copy: (text) => host.note('copy', { text }),
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

function onNote(m: HostNote<InspectorProtocol>): void {
  switch (m.type) {
    case 'loading':
      if (!app.tensorCount) showBanner(`Reading ${m.body.file}…`);
      else showBanner(`${m.body.file} changed on disk; re-reading…`);
      return;
    case 'fatal':
      showBanner(`Cannot read ${m.body.file}: ${m.body.message}`, 'error');
      return;
    case 'init': {
      const init = m.body;
      showBanner(null);
      const sameFile = currentUri === init.file.uri || (currentUri === null && state.uri === init.file.uri);
      currentUri = init.file.uri;
      if (!sameFile) {
        // a different file: start fresh but keep the user's table preferences
        Object.assign(state, { uri: init.file.uri, view: 'table', scrollTop: 0, selected: null, details: null, sliceExpr: '', query: { ...state.query, filter: '', collapsed: [], grouped: state.uri === '' ? init.defaultGrouped : state.query.grouped } });
      }
      state.uri = init.file.uri;
      app.tensorCount = init.tensorCount;
      // an op's result is titled by its call alone: "interpolate(conv1.weight, size=6×6, bilinear)"
      title.textContent = init.file.format === 'computed' ? init.file.name : `${init.file.name} — ${init.file.format}, ${init.tensorCount} tensor${init.tensorCount === 1 ? '' : 's'}`;
      title.title = init.file.path;
      summary.update(init.summary);
      content.update(init.content, init.optimizers);
      table.reset(sameFile);
      if (init.firstPage) table.seed(init.firstPage);
      if (state.details) details.load(state.details);
      showView(init.tensorCount === 0 && state.view === 'table' ? 'summary' : state.view);
      app.save();
      document.body.dataset.generation = String(init.file.generation);
      return;
    }
    case 'reveal':
      app.openDetails(m.body.name);
      table.focus(m.body.name);
      return;
    case 'allStats':
      summary.allStatsProgress(m.body.done, m.body.total, m.body.finished, m.body.suspicious ?? 0);
      table.refresh();
      return;
    case 'showTable':
      app.filterTable(m.body.filter);
      return;
  }
}

document.addEventListener('securitypolicyviolation', (e) => host.note('log', { level: 'warn', message: `CSP ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} sample=${JSON.stringify(e.sample)}` }));
window.addEventListener('error', (e) => host.note('log', { level: 'error', message: `${e.message} at ${e.filename}:${e.lineno}` }));

showView(state.view);
host.note('ready', { state: isInspectorState(restored) ? state : null });
