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
      ['Parameters', `${formatCount(s.parameterCount)} (${s.parameterCount.toLocaleString('en')})`],
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
        h('span', { class: 'warn-icon' }, '⚠ '), richText(w.text),
        ...(w.tensors ?? []).slice(0, 5).map((n) => h('a', { class: 'tensor-link', attrs: { href: '#' }, on: { click: (e) => { e.preventDefault(); this.app.openDetails(n); } } }, n)))))
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
        h('tbody', null, ...s.globals.map((g) => h('tr', { class: g.unsafe ? 'unsafe' : '' }, h('td', { class: 'mono' }, g.name), h('td', { class: 'num' }, g.count), h('td', null, g.unsafe ? 'refused' : 'allowed'))))));
    }
    if (s.meta.length) this.element.append(h('h3', null, 'File facts'), kv(s.meta));
  }

  allStatsProgress(done: number, total: number, finished: boolean): void {
    clear(this.allStats);
    const bar = h('progress', { attrs: { max: total, value: done } });
    this.allStats.append(bar, ` ${finished ? 'done' : 'statistics'}: ${done} / ${total} tensors`);
  }
}
