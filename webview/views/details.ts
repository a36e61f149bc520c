/**
 * Details of one tensor: facts, strides explained, a `.view(...)` checker, the storage and the tensors
 * sharing it (links), statistics with a histogram (on demand, in the host's workers, cancellable), and
 * values of a slice as a bounded table and a heatmap.
 */
import { h, clear, richText } from '../dom';
import { button, textField, progressRing } from '../ui/toolkit';
import { histogram } from '../charts/histogram';
import { heatmap } from '../charts/heatmap';
import { formatShape } from '../../src/shared/rows';
import { formatBytes } from '../../src/core/units';
import { tryView } from '../../src/shared/explain';
import type { SliceValues, TensorDetails } from '../../src/shared/protocol';
import { CancelledError } from '../../src/shared/channel';
import type { TensorStats } from '../../src/core/model';
import type { App } from '../app';

const TABLE_ROWS = 32;
const TABLE_COLS = 16;

export class DetailsView {
  readonly element = h('section', { class: 'view details-view', attrs: { id: 'view-details' } });
  private current: TensorDetails | null = null;
  /** the statistics and values requests running now (aborting one cancels it on the host) */
  private statsRequest: AbortController | null = null;
  private valuesRequest: AbortController | null = null;
  /** the latest `load`: an older one's reply is not shown */
  private loading = 0;

  constructor(private readonly app: App) {
    this.element.append(h('p', { class: 'muted' }, 'Select a tensor in the table (Enter or double-click) to see its details.'));
  }

  get name(): string | null {
    return this.current?.row.name ?? null;
  }

  cancelAll(): void {
    this.statsRequest?.abort();
    this.statsRequest = null;
    this.valuesRequest?.abort();
    this.valuesRequest = null;
  }

  load(name: string): void {
    this.cancelAll();
    const token = ++this.loading;
    this.app.request('getDetails', { name }).then(
      (d) => { if (token === this.loading) this.show(d); },
      (e: Error) => { if (token === this.loading) { clear(this.element); this.element.append(h('p', { class: 'error' }, e.message)); } },
    );
  }

  private show(d: TensorDetails): void {
    this.current = d;
    const r = d.row;
    const e = d.explanation;
    clear(this.element);
    const kv = (pairs: Array<[string, Node | string]>) => h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    // a stride that differs only where it is never stepped (size-1 dims) is not a difference worth a warning colour
    const differs = r.stride.some((s, i) => s !== e.contiguousStride[i] && !e.unusedStrideDims.includes(i));
    const differsUnused = !differs && e.unusedStrideDims.length > 0;
    this.element.append(
      h('div', { class: 'details-head' },
        h('h2', { class: 'tensor-title', attrs: { id: 'details-name' } }, r.name || '(unnamed)'),
        button('Copy name', () => this.app.copy(r.name), { appearance: 'secondary' }),
        button('Copy shape', () => this.app.copy(formatShape(r.shape)), { appearance: 'secondary' }),
        button('Show in table', () => this.app.showInTable(r.name), { appearance: 'secondary' })),
      h('div', { class: 'cards' },
        h('div', { class: 'card' }, h('h3', null, 'Tensor'), kv([
          ['dtype', r.numpyDtype ? `${r.dtype} (numpy ${r.numpyDtype})` : r.dtype],
          ['shape', h('span', { class: 'mono', attrs: { id: 'details-shape' } }, formatShape(r.shape))],
          ['stride', h('span', { class: 'mono', attrs: { id: 'details-stride' } }, r.layout === 'strided' ? formatShape(r.stride) : '—')],
          ['contiguous stride', h('span', {
            class: 'mono' + (differs ? ' differs' : differsUnused ? ' differs-unused' : ''),
            attrs: { id: 'details-contiguous-stride' },
            title: differs ? 'a fresh tensor of this shape has these strides; this one does not (see Strides explained)'
              : differsUnused ? `differs only in size-1 dimension${e.unusedStrideDims.length > 1 ? 's' : ''} ${e.unusedStrideDims.join(', ')}, whose stride is never used: still contiguous (see Strides explained)`
              : 'the strides of a fresh tensor of this shape: the same as this one\'s',
          }, formatShape(e.contiguousStride), differsUnused ? ' (differs only in size-1 dims: unused)' : '')],
          ['storage offset', String(r.offset)],
          ['layout', r.layoutKind],
          ['device', r.device],
          ['elements', r.numel.toLocaleString('en')],
          ['bytes', `${formatBytes(r.bytes)} (${r.bytes})`],
          ['requires_grad', String(r.requiresGrad)],
          ...(r.quant ? [['quantization', r.quant] as [string, string]] : []),
        ])),
        h('div', { class: 'card explain' }, h('h3', null, 'Strides explained'),
          h('p', { class: 'verdict', attrs: { id: 'verdict' } }, e.verdict),
          h('ul', { attrs: { id: 'explain-notes' } }, ...e.notes.map((n) => h('li', null, richText(n)))),
          this.viewChecker(r.shape, r.stride)),
      ),
      this.storageCard(d),
      this.statsCard(d),
      this.valuesCard(d),
    );
    if (d.stats) this.renderStats(d.stats);
  }

  private viewChecker(shape: number[], stride: number[]): HTMLElement {
    const out = h('span', { class: 'view-result', attrs: { id: 'view-result' } });
    const check = (text: string) => {
      const dims = text.replace(/[()[\]]/g, '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      if (!dims.length || dims.some((d) => !Number.isInteger(d))) { out.textContent = 'enter a shape such as 64, -1'; return; }
      const r = tryView(shape, stride, dims);
      out.textContent = r.ok ? `works, strides ${formatShape(r.stride)}` : `fails: ${r.reason}`;
      out.className = `view-result ${r.ok ? 'ok' : 'bad'}`;
    };
    return h('div', { class: 'view-check' }, h('span', null, 'Try '), h('code', null, '.view('),
      textField({ placeholder: '-1', size: 14, id: 'view-shape', onEnter: check, onInput: check }), h('code', null, ')'), ' ', out);
  }

  private storageCard(d: TensorDetails): HTMLElement {
    const s = d.storage;
    if (!s) return h('div', { class: 'card' }, h('h3', null, 'Storage'), h('p', { class: 'muted' }, 'No storage of its own (sparse tensor components or a meta tensor).'));
    return h('div', { class: 'card', attrs: { id: 'storage-card' } }, h('h3', null, 'Storage'),
      h('dl', { class: 'kv' },
        h('dt', null, 'key'), h('dd', { class: 'mono' }, s.key),
        h('dt', null, 'size'), h('dd', null, `${s.numel.toLocaleString('en')} × ${s.dtype} = ${formatBytes(s.bytes)}`),
        h('dt', null, 'device'), h('dd', null, s.device),
        h('dt', null, 'in the file'), h('dd', { class: 'mono' }, s.where),
        ...(d.explanation.extent ? [h('dt', null, 'uses elements'), h('dd', null, `${d.explanation.extent.first} … ${d.explanation.extent.last}`)] : [])),
      d.sharingTotal
        ? h('div', null, h('p', null, `Shared with ${d.sharingTotal} other tensor${d.sharingTotal > 1 ? 's' : ''}:`),
          h('ul', { class: 'sharing', attrs: { id: 'sharing' } }, ...d.sharing.map((o) => h('li', null,
            h('a', { class: 'tensor-link', attrs: { href: '#', 'data-tensor': o.name }, on: { click: (ev) => { ev.preventDefault(); this.app.openDetails(o.name); } } }, o.name || '(unnamed)'),
            h('span', { class: 'muted' }, ` ${formatShape(o.shape)} at offset ${o.offset}`)))),
          d.sharingTotal > d.sharing.length ? h('p', { class: 'muted' }, `… and ${d.sharingTotal - d.sharing.length} more`) : null)
        : h('p', { class: 'muted', attrs: { id: 'sharing' } }, 'Not shared with any other tensor.'));
  }

  private statsArea = h('div', { class: 'stats-area', attrs: { id: 'stats' } });

  private statsCard(d: TensorDetails): HTMLElement {
    this.statsArea = h('div', { class: 'stats-area', attrs: { id: 'stats' } });
    const canRead = d.storage !== null && d.row.layout === 'strided';
    return h('div', { class: 'card', attrs: { id: 'stats-card' } }, h('h3', null, 'Statistics'),
      canRead ? button('Compute statistics', () => this.computeStats(d.row.name), { id: 'compute-stats', title: 'min, max, mean, std, NaN/Inf counts and a histogram, computed off the main thread' })
        : h('p', { class: 'muted' }, 'No values in the file for this tensor.'),
      this.statsArea);
  }

  private computeStats(name: string): void {
    if (this.statsRequest) return;
    const request = new AbortController();
    this.statsRequest = request;
    const area = this.statsArea;
    clear(area);
    const progress = h('progress', { attrs: { max: 1, value: 0 } });
    const cancel = button('Cancel', () => request.abort(), { appearance: 'secondary', id: 'cancel-stats' });
    area.append(h('div', { class: 'busy' }, progressRing(), progress, cancel));
    this.app.request('computeStats', { name }, { signal: request.signal, onProgress: (f) => { progress.value = f; } }).then(
      (r) => { if (this.current?.row.name === r.name) this.renderStats(r.stats); },
      (e: Error) => {
        clear(area);
        area.append(e instanceof CancelledError ? h('p', { class: 'muted' }, 'Cancelled.') : h('p', { class: 'error' }, e.message));
      },
    ).finally(() => { if (this.statsRequest === request) this.statsRequest = null; });
  }

  private renderStats(s: TensorStats): void {
    clear(this.statsArea);
    const f = (v: number | null) => (v === null ? '—' : String(+v.toPrecision(6)));
    this.statsArea.append(
      h('table', { class: 'small stats-table', attrs: { id: 'stats-table' } }, h('tbody', null,
        h('tr', null, h('th', null, 'min'), h('td', { class: 'num' }, f(s.min)), h('th', null, 'max'), h('td', { class: 'num' }, f(s.max))),
        h('tr', null, h('th', null, 'mean'), h('td', { class: 'num' }, f(s.mean)), h('th', null, 'std'), h('td', { class: 'num' }, f(s.std))),
        h('tr', null, h('th', null, 'NaN'), h('td', { class: `num${s.nan ? ' bad' : ''}` }, s.nan), h('th', null, 'Inf'), h('td', { class: `num${s.inf ? ' bad' : ''}` }, s.inf)),
        h('tr', null, h('th', null, 'zeros'), h('td', { class: 'num' }, s.zeros), h('th', null, 'count'), h('td', { class: 'num' }, s.count)))));
    if (s.histogram && s.histogram.counts.length) {
      const box = h('div', { class: 'chart', attrs: { id: 'histogram' } });
      this.statsArea.append(box);
      histogram(box, s.histogram);
    }
  }

  private valuesArea = h('div', { attrs: { id: 'values' } });

  private valuesCard(d: TensorDetails): HTMLElement {
    this.valuesArea = h('div', { attrs: { id: 'values' } });
    if (d.storage === null || d.row.layout !== 'strided') return h('div');
    const expr = this.app.state.details === d.row.name && this.app.state.sliceExpr ? this.app.state.sliceExpr : d.suggestedSlice;
    const field = textField({ value: expr, id: 'slice-expr', size: 28, placeholder: '[2, :, 0:8]', onEnter: (v) => this.showValues(d.row.name, v) });
    return h('div', { class: 'card', attrs: { id: 'values-card' } }, h('h3', null, 'Values'),
      h('div', { class: 'toolbar' }, h('span', null, 'Slice '), field,
        button('Show', () => this.showValues(d.row.name, field.value), { id: 'show-values' }),
        h('span', { class: 'muted' }, ` numpy-style: indices, negative indices, start:stop:step, ... — shape ${formatShape(d.row.shape)}`)),
      this.valuesArea);
  }

  private showValues(name: string, expr: string): void {
    this.app.state.sliceExpr = expr;
    this.app.state.details = name;
    this.app.save();
    this.valuesRequest?.abort();
    const request = new AbortController();
    this.valuesRequest = request;
    clear(this.valuesArea);
    this.valuesArea.append(progressRing());
    this.app.request('getValues', { name, expr, maxElements: 65_536 }, { signal: request.signal }).then(
      (v) => { clear(this.valuesArea); this.renderValues(v); },
      (e: Error) => {
        if (e instanceof CancelledError) return;
        clear(this.valuesArea);
        this.valuesArea.append(h('p', { class: 'error', attrs: { id: 'values-error' } }, e.message));
      },
    ).finally(() => { if (this.valuesRequest === request) this.valuesRequest = null; });
  }

  private renderValues(v: SliceValues): void {
    const shown = v.shownShape;
    const rows = shown.length >= 2 ? shown[shown.length - 2] : 1;
    const cols = shown.length >= 1 ? shown[shown.length - 1] : 1;
    this.valuesArea.append(h('p', { class: 'muted', attrs: { id: 'values-info' } },
      `${v.expr} → shape ${formatShape(v.shape)}${v.truncated ? `; showing ${formatShape(shown)}` : ''}`));
    const tr = Math.min(rows, TABLE_ROWS);
    const tc = Math.min(cols, TABLE_COLS);
    const fmt = (x: number | string | undefined) => (typeof x === 'number' ? String(+x.toPrecision(5)) : x ?? '');
    const table = h('table', { class: 'values-table mono', attrs: { id: 'values-table' } },
      h('thead', null, h('tr', null, h('th', null, ''), ...Array.from({ length: tc }, (_, c) => h('th', null, c)))),
      h('tbody', null, ...Array.from({ length: tr }, (_, r) => h('tr', null, h('th', null, r), ...Array.from({ length: tc }, (_, c) => h('td', { class: 'num' }, fmt(v.values[r * cols + c])))))));
    this.valuesArea.append(h('div', { class: 'values-scroll' }, table));
    if (rows > tr || cols > tc) this.valuesArea.append(h('p', { class: 'muted' }, `table shows ${tr}×${tc} of ${rows}×${cols}; the heatmap shows all`));
    if (shown.length >= 1 && v.values.length > 1) {
      const box = h('div', { class: 'chart', attrs: { id: 'heatmap' } });
      this.valuesArea.append(box);
      heatmap(box, rows, cols, v.values.slice(0, rows * cols));
    }
  }
}
