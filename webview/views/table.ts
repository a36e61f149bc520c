/**
 * The Table view: a virtualized list over the host's pages (100,000 rows scroll smoothly because only the
 * ~50 visible rows exist in the DOM and only ~24 pages of 200 items are kept), grouped by module prefix or
 * flat, filter, sort by any column, keyboard navigation, copy name/shape.
 */
import { h, clear } from '../dom';
import { checkbox, textField, button } from '../ui/toolkit';
import { PageCache } from '../pager';
import { cell, headerCell, nextSort } from '../ui/columns';
import { queryKey, type TableItem, type TableQuery, type TensorItem } from '../../src/shared/tableModel';
import { COLUMNS, columnById, gridTemplate, isColumnId, type ColumnDef, type ColumnId } from '../../src/shared/columns';
import { formatCount, formatShape } from '../../src/shared/rows';
import { formatBytes } from '../../src/core/units';
import { PAGE_SIZE, type FirstPage, type TablePage } from '../../src/shared/protocol';
import type { App } from '../app';

export const ROW_HEIGHT = 22;

/** the filter term that keeps the tensors flagged by their statistics (columns.ts `flags`) */
const SUSPICIOUS_TERM = 'flag:>0';
const hasSuspiciousTerm = (filter: string): boolean => filter.split(/\s+/).includes(SUSPICIOUS_TERM);
function withSuspiciousTerm(filter: string, on: boolean): string {
  const words = filter.split(/\s+/).filter((w) => w && w !== SUSPICIOUS_TERM);
  return (on ? [...words, SUSPICIOUS_TERM] : words).join(' ');
}
const OVERSCAN = 10;

/** Cells drawn as more than text: the tree's name column and the storage link. Every other cell is its column's text. */
type CellRenderer = (item: TensorItem, app: App) => HTMLElement;
const SPECIAL_CELLS: Partial<Record<ColumnId, CellRenderer>> = {
  name: (item) => h('div', { class: 'cell col-name', title: item.row.name },
    h('span', { class: 'indent', attrs: { 'data-depth': item.depth } }),
    h('span', { class: 'tname' }, item.label)),
  storage: ({ row: r }, app) => {
    const col = columnById('storage');
    const inner = r.storageShared > 1
      ? h('a', { class: 'shared-link', title: col.tooltip?.(r), attrs: { href: '#', 'data-storage': r.storageKey ?? '' }, on: { click: (e) => { e.preventDefault(); e.stopPropagation(); app.openDetails(r.name); } } }, col.text(r))
      : h('span', { class: 'muted', title: col.tooltip?.(r) || undefined }, col.text(r));
    return h('div', { class: 'cell col-storage' }, inner);
  },
};

function cellOf(c: ColumnDef, item: TensorItem, app: App): HTMLElement {
  const special = SPECIAL_CELLS[c.id as ColumnId];
  return special ? special(item, app) : cell('div', c, item.row);
}

/** the narrowest the row may get before the table scrolls sideways: the columns' fixed or minimum widths */
function minWidth(defs: readonly ColumnDef[]): number {
  return defs.reduce((sum, c) => sum + (Number(/(\d+)px/.exec(c.width)?.[1] ?? 80)), 0);
}

export class TableView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly status: HTMLElement;
  private readonly filterField: HTMLElement & { value: string };
  private readonly groupBox: HTMLElement & { checked: boolean };
  private readonly suspiciousBox: HTMLElement & { checked: boolean };
  private cache = new PageCache<TableItem>(PAGE_SIZE);
  private rendered = new Map<number, { el: HTMLElement; item: TableItem | undefined; selected: boolean }>();
  private selectedIndex = -1;
  private filterTimer: number | undefined;
  private frame = 0;
  private pendingFocus: string | null = null;
  private restoringScroll: number | null = null;
  /** the columns shown, as the host last said (optional ones appear once a row has a value) */
  private shown: ColumnDef[] = COLUMNS.filter((c) => !c.optional);
  private filterError: string | null = null;

  constructor(private readonly app: App) {
    const q = app.state.query;
    this.filterField = textField({
      value: q.filter, placeholder: 'Filter: substring, glob (stage3.*.weight, ^head), re:REGEX, dtype:float16, layout:expanded, numel:>1000', id: 'filter', size: 50,
      onInput: (v) => {
        window.clearTimeout(this.filterTimer);
        this.filterTimer = window.setTimeout(() => this.setQuery({ ...this.app.state.query, filter: v }), 150);
      },
      onEnter: (v) => { window.clearTimeout(this.filterTimer); this.setQuery({ ...this.app.state.query, filter: v }); },
    });
    this.groupBox = checkbox('Group by module', q.grouped, (c) => this.setQuery({ ...this.app.state.query, grouped: c, collapsed: [] }), 'group');
    this.suspiciousBox = checkbox('Suspicious only', hasSuspiciousTerm(q.filter), (c) => this.setFilter(withSuspiciousTerm(this.app.state.query.filter, c)), 'suspicious');
    this.suspiciousBox.title = 'tensors flagged by their statistics (NaN/Inf, all zeros, constant, |value| > 1e4): the filter term flag:>0 — run Compute All Statistics first';
    this.status = h('span', { class: 'table-status', attrs: { id: 'table-status', 'aria-live': 'polite' } });
    const toolbar = h('div', { class: 'toolbar' },
      this.filterField, this.groupBox, this.suspiciousBox,
      button('Expand all', () => this.setQuery({ ...this.app.state.query, collapsed: [] }), { appearance: 'secondary', title: 'expand every group' }),
      this.status);
    this.header = h('div', { class: 'trow thead', attrs: { role: 'row' } });
    this.spacer = h('div', { class: 'spacer' });
    this.scroller = h('div', { class: 'tscroll', attrs: { tabindex: 0, role: 'grid', id: 'table', 'aria-label': 'tensors' } }, this.header, this.spacer);
    this.applyColumns();
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.element = h('section', { class: 'view table-view', attrs: { id: 'view-table' } }, toolbar, this.scroller);
  }

  /** called after `init` (first load or re-read of the file): keep query, scroll and selection */
  reset(restoreScroll: boolean): void {
    this.cache.reset();
    this.clearRows();
    this.restoringScroll = restoreScroll ? this.app.state.scrollTop : 0;
    this.filterField.value = this.app.state.query.filter;
    this.suspiciousBox.checked = hasSuspiciousTerm(this.app.state.query.filter);
    this.groupBox.checked = this.app.state.query.grouped;
    this.selectedIndex = -1;
    this.schedule();
  }

  /** statistics arrived for some rows: fetch the visible pages again (columns, sort and filter may change), keep the scroll */
  refresh(): void {
    this.cache.reset();
    this.schedule();
  }

  /** set the filter text (the field, the Suspicious toggle and the query) */
  setFilter(filter: string): void {
    this.filterField.value = filter;
    this.suspiciousBox.checked = hasSuspiciousTerm(filter);
    this.setQuery({ ...this.app.state.query, filter });
  }

  /** use the page that came with `init` when it was computed for our query (saves a round trip) */
  seed(page: FirstPage): void {
    if (page.queryKey !== queryKey(this.app.state.query)) return;
    if (this.cache.put(this.cache.version, page.start, page.items, page.total)) this.pageArrived(page);
    this.schedule();
  }

  private setQuery(q: TableQuery): void {
    this.app.state.query = q;
    this.app.save();
    this.cache.reset();
    this.clearRows();
    this.renderHeader();
    this.selectedIndex = -1;
    // keep the selected tensor in view when the query changes
    if (this.app.state.selected) this.pendingFocus = this.app.state.selected;
    this.schedule();
  }

  /** select a tensor by name and scroll to it */
  focus(name: string): void {
    this.app.state.selected = name;
    this.app.save();
    this.pendingFocus = name;
    this.schedule();
  }

  private clearRows(): void {
    for (const r of this.rendered.values()) r.el.remove();
    this.rendered.clear();
  }

  /** what a page says about the whole table: matches, the columns to show, a bad filter */
  private pageArrived(page: TablePage): void {
    this.cache.matched = page.matched;
    this.filterError = page.filterError ?? null;
    const ids = page.columns.filter(isColumnId);
    if (ids.join() !== this.shown.map((c) => c.id).join()) {
      this.shown = ids.map(columnById);
      this.applyColumns();
      this.clearRows();
    }
  }

  private applyColumns(): void {
    this.scroller.style.setProperty('--cols', gridTemplate(this.shown));
    this.scroller.style.setProperty('--min-row-width', `${minWidth(this.shown)}px`);
    this.renderHeader();
  }

  private renderHeader(): void {
    clear(this.header);
    const sort = this.app.state.query.sort;
    for (const c of this.shown) this.header.appendChild(headerCell('div', c, sort, () => this.cycleSort(c.id as ColumnId)));
  }

  private cycleSort(c: ColumnId): void {
    const next = nextSort(this.app.state.query.sort, c);
    this.setQuery({ ...this.app.state.query, sort: next && { column: c, descending: next.descending } });
  }

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  private requestPages(pages: number[]): void {
    for (const p of pages) this.fetchPage(p, { start: p * PAGE_SIZE });
  }

  /** ask for a page (`page` -1: the page around `focus`); a reply for an older query is dropped by the cache */
  private fetchPage(page: number, at: { start: number; focus?: string }): void {
    const version = this.cache.version;
    this.app.request('getPage', { query: this.app.state.query, count: PAGE_SIZE, ...at }).then(
      (m) => this.onPage(m, version),
      () => this.cache.release(version, page),
    );
  }

  private onPage(m: TablePage, version: number): void {
    if (!this.cache.put(version, m.start, m.items, m.total)) return;
    this.pageArrived(m);
    if (m.focusIndex !== undefined && m.focusIndex >= 0) this.scrollToIndex(m.focusIndex, true);
    this.schedule();
  }

  private scrollToIndex(i: number, center: boolean): void {
    this.selectedIndex = i;
    // row i occupies [(i + 1) * H, (i + 2) * H) below the sticky header of height H
    const top = i * ROW_HEIGHT;
    const bottom = (i + 2) * ROW_HEIGHT;
    const height = this.scroller.clientHeight;
    if (center) this.scroller.scrollTop = Math.max(0, top - (height - ROW_HEIGHT) / 2);
    else if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (bottom > this.scroller.scrollTop + height) this.scroller.scrollTop = bottom - height;
  }

  private render(): void {
    if (this.pendingFocus !== null) {
      const name = this.pendingFocus;
      this.pendingFocus = null;
      const loaded = this.cache.findLoaded((it) => it.kind === 'tensor' && it.row.name === name);
      if (loaded >= 0) this.scrollToIndex(loaded, true);
      else {
        this.fetchPage(-1, { start: 0, focus: name });
      }
    }
    const total = this.cache.total;
    if (total === null) {
      this.requestPages(this.cache.claimMissing(0, PAGE_SIZE - 1));
      this.status.textContent = 'loading…';
      return;
    }
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    if (this.restoringScroll !== null) {
      this.scroller.scrollTop = this.restoringScroll;
      this.restoringScroll = null;
    }
    const scrollTop = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    // fetch half a page beyond both ends, so steady scrolling never shows unloaded rows
    this.requestPages(this.cache.claimMissing(Math.max(0, first - PAGE_SIZE / 2), last + PAGE_SIZE / 2));
    for (const [i, r] of this.rendered) {
      if (i < first || i > last) { r.el.remove(); this.rendered.delete(i); }
    }
    const selName = this.app.state.selected;
    for (let i = first; i <= last; i++) {
      const item = this.cache.get(i);
      if (item && item.kind === 'tensor' && item.row.name === selName) this.selectedIndex = i;
      const selected = i === this.selectedIndex;
      const cur = this.rendered.get(i);
      if (cur && cur.item === item && cur.selected === selected) continue;
      const el = this.renderRow(i, item, selected);
      if (cur) cur.el.replaceWith(el); else this.scroller.appendChild(el);
      this.rendered.set(i, { el, item, selected });
    }
    const n = this.app.tensorCount;
    this.status.textContent = this.filterError ?? (this.app.state.query.filter.trim() ? `${this.cache.matched ?? total} of ${n} tensors match` : `${n} tensors`);
    this.app.state.scrollTop = scrollTop;
    this.app.saveSoon();
  }

  private renderRow(i: number, item: TableItem | undefined, selected: boolean): HTMLElement {
    const cls = `trow${selected ? ' selected' : ''}`;
    const attrs: Record<string, string | number> = { role: 'row', 'data-index': i, 'aria-rowindex': i + 1 };
    let el: HTMLElement;
    if (!item) {
      el = h('div', { class: `${cls} placeholder`, attrs }, h('div', { class: 'cell col-name' }, '…'));
    } else if (item.kind === 'group') {
      attrs['data-group'] = item.prefix;
      attrs['aria-expanded'] = String(!item.collapsed);
      el = h('div', { class: `${cls} group`, attrs, title: item.prefix, on: { click: () => { this.select(i); this.toggle(item.prefix); } } },
        h('div', { class: 'cell col-name' },
          h('span', { class: 'indent', attrs: { 'data-depth': item.depth } }),
          h('span', { class: 'twisty' }, item.collapsed ? '▸' : '▾'),
          h('span', { class: 'group-label' }, item.label),
        ),
        h('div', { class: 'cell group-info' }, `${item.count} tensor${item.count === 1 ? '' : 's'} · ${formatCount(item.numel)} elements · ${formatBytes(item.bytes)}`),
      );
    } else {
      const r = item.row;
      attrs['data-name'] = r.name;
      el = h('div', {
        class: `${cls} tensor`, attrs,
        on: { click: () => this.select(i), dblclick: () => this.app.openDetails(r.name) },
      }, ...this.shown.map((c) => cellOf(c, item, this.app)));
    }
    // rows sit below the sticky header row (in flow, ROW_HEIGHT tall)
    el.style.top = `${(i + 1) * ROW_HEIGHT}px`;
    const indent = el.querySelector<HTMLElement>('.indent');
    if (indent && item) indent.style.width = `${item.depth * 14}px`;
    return el;
  }

  private select(i: number): void {
    this.selectedIndex = i;
    const item = this.cache.get(i);
    if (item?.kind === 'tensor') { this.app.state.selected = item.row.name; this.app.save(); }
    this.scroller.focus({ preventScroll: true });
    this.rerenderAll();
  }

  private rerenderAll(): void {
    for (const r of this.rendered.values()) r.selected = !r.selected; // force re-render of every row
    this.schedule();
  }

  private toggle(prefix: string): void {
    const q = this.app.state.query;
    const set = new Set(q.collapsed);
    if (set.has(prefix)) set.delete(prefix); else set.add(prefix);
    this.app.state.query = { ...q, collapsed: [...set] };
    this.app.save();
    this.cache.reset();
    this.clearRows();
    this.schedule();
  }

  private onKey(e: KeyboardEvent): void {
    const total = this.cache.total ?? 0;
    if (!total) return;
    const pageRows = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 2);
    let i = this.selectedIndex;
    const item = i >= 0 ? this.cache.get(i) : undefined;
    switch (e.key) {
      case 'ArrowDown': i = Math.min(total - 1, i + 1); break;
      case 'ArrowUp': i = Math.max(0, i - 1); break;
      case 'PageDown': i = Math.min(total - 1, i + pageRows); break;
      case 'PageUp': i = Math.max(0, i - pageRows); break;
      case 'Home': i = 0; break;
      case 'End': i = total - 1; break;
      case 'ArrowRight': case 'ArrowLeft':
        if (item?.kind === 'group' && item.collapsed === (e.key === 'ArrowRight')) this.toggle(item.prefix);
        e.preventDefault();
        return;
      case 'Enter': case ' ':
        if (item?.kind === 'group') this.toggle(item.prefix);
        else if (item?.kind === 'tensor') this.app.openDetails(item.row.name);
        e.preventDefault();
        return;
      case 'c': case 'C':
        if ((e.ctrlKey || e.metaKey) && item?.kind === 'tensor') {
          this.app.copy(e.shiftKey ? formatShape(item.row.shape) : item.row.name);
          e.preventDefault();
        }
        return;
      default: return;
    }
    e.preventDefault();
    this.selectedIndex = i;
    const next = this.cache.get(i);
    this.app.state.selected = next?.kind === 'tensor' ? next.row.name : this.app.state.selected;
    this.scrollToIndex(i, false);
    this.rerenderAll();
  }
}
