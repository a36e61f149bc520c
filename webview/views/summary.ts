/** The Summary view: what the file is, how big, and what to watch out for before `torch.load`. */
import { h, clear, richText } from '../dom';
import { button } from '../ui/toolkit';
import { formatCount } from '../../src/shared/rows';
import { formatBytes } from '../../src/core/units';
import type { SummaryData } from '../../src/shared/summary';
import type { App } from '../app';

export class SummaryView {
  readonly element = h('section', { class: 'view summary-view', attrs: { id: 'view-summary' } });
  private allStats = h('div', { class: 'all-stats', attrs: { id: 'all-stats' } });

  constructor(private readonly app: App) {}

  update(s: SummaryData): void {
    clear(this.element);
    const facts: Array<[string, string]> = [
      ['Format', s.format],
      ['Producer', s.producer ?? '—'],
      ['Tensors', String(s.tensorCount)],
      ['Storages', String(s.storageCount)],
      ['Parameters', `${formatCount(s.parameterCount)} (${s.parameterCount.toLocaleString('en')}) — as sum(p.numel() for p in model.parameters())`],
      ...(s.notParameters.length ? [['Not parameters', s.notParameters.map((r) => `${r.what}: ${r.tensors} tensor${r.tensors === 1 ? '' : 's'}, ${r.elements.toLocaleString('en')} elements`).join('; ')] as [string, string]] : []),
      ['Elements (all tensors)', `${formatCount(s.elementCount)} (${s.elementCount.toLocaleString('en')})`],
      ['Tensor data', formatBytes(s.storageBytes)],
    ];
    const kv = (pairs: Array<[string, string]>, id?: string) => h('dl', { class: 'kv', attrs: { id } }, ...pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    const table = (title: string, rows: Array<{ key: string; tensors: number; bytes: number }>) => h('div', { class: 'card' },
      h('h3', null, title),
      h('table', { class: 'small' },
        h('thead', null, h('tr', null, h('th', null, title.replace('Bytes by ', '')), h('th', { class: 'num' }, 'tensors'), h('th', { class: 'num' }, 'bytes'))),
        h('tbody', null, ...rows.map((r) => h('tr', null, h('td', null, r.key), h('td', { class: 'num' }, r.tensors), h('td', { class: 'num', title: `${r.bytes} bytes` }, formatBytes(r.bytes)))))));
    const warnings = s.warnings.length
      ? h('ul', { class: 'warnings', attrs: { id: 'warnings' } }, ...s.warnings.map((w) => h('li', { class: `warning warning-${w.kind}` },
        h('span', { class: 'warn-icon' }, w.kind === 'torchscript' ? 'ℹ ' : '⚠ '), richText(w.text), this.links(w.tensors ?? []))))
      : h('p', { class: 'ok', attrs: { id: 'warnings' } }, 'No warnings: no unsafe globals, no module. prefix, no CUDA storages, no wasted storage bytes.');
    this.element.append(
      h('h2', { class: 'file-title' }, s.fileName),
      h('div', { class: 'path muted' }, s.path),
      h('div', { class: 'cards' },
        h('div', { class: 'card' }, h('h3', null, 'Checkpoint'), kv(facts, 'facts')),
        table('Bytes by dtype', s.byDtype),
        table('Bytes by device', s.byDevice),
      ),
      h('h3', null, 'Warnings'), warnings,
      h('div', { class: 'actions' },
        button('Show tensors', () => this.app.showView('table')),
        button('Compute all statistics', () => this.app.note('command', { command: 'computeAllStats' }), { appearance: 'secondary', title: 'statistics of every tensor, in worker threads (cancellable)' })),
      this.allStats,
    );
    if (s.globals.length) {
      this.element.append(h('h3', null, 'Pickle globals'), h('table', { class: 'small globals' },
        h('thead', null, h('tr', null, h('th', null, 'global'), h('th', { class: 'num' }, 'uses'), h('th', null, 'weights_only=True'))),
        h('tbody', null, ...s.globals.map((g) => h('tr', { class: g.unsafe ? 'unsafe' : '' }, h('td', { class: 'mono' }, g.name), h('td', { class: 'num' }, g.count), h('td', null, g.unsafe ? 'refused' : g.own ? 'TorchScript\'s own (torch.jit.load)' : 'allowed'))))));
    }
    if (s.meta.length) this.element.append(h('h3', null, 'File facts'), kv(s.meta));
  }

  /** A warning's tensor links: they wrap; past the first few, a "N more" button shows the rest. */
  private links(names: readonly string[]): HTMLElement {
    const FIRST = 5;
    const box = h('div', { class: 'warning-links' });
    const link = (n: string) => h('a', { class: 'tensor-link', attrs: { href: '#', title: n }, on: { click: (e) => { e.preventDefault(); this.app.openDetails(n); } } }, n);
    box.append(...names.slice(0, FIRST).map(link));
    if (names.length > FIRST) {
      const more = button(`${names.length - FIRST} more…`, () => { more.replaceWith(...names.slice(FIRST).map(link)); }, { appearance: 'secondary', title: 'show every tensor this warning concerns' });
      box.append(more);
    }
    return box;
  }

  allStatsProgress(done: number, total: number, finished: boolean, suspicious: number): void {
    clear(this.allStats);
    const bar = h('progress', { attrs: { max: total, value: done } });
    this.allStats.append(bar, ` ${finished ? 'done' : 'statistics'}: ${done} / ${total} tensors; `);
    if (suspicious > 0) {
      this.allStats.append(h('span', { class: 'suspicious-count' }, `${suspicious} suspicious`), ' ',
        button('Show suspicious tensors', () => this.app.filterTable('flag:>0'), { appearance: 'secondary', id: 'show-suspicious', title: 'the table, filtered to flagged tensors (flag:>0), with min/max/mean/std/NaN/zeros columns' }));
    } else {
      this.allStats.append(finished ? 'nothing suspicious (no NaN/Inf, all-zero, constant or exploding tensor); the values are in the table\'s columns' : '');
    }
  }

}
