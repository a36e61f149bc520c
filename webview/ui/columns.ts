/**
 * Header cells and cells drawn from a column list (src/shared/columns.ts `ColumnDef`), for every table in the
 * webviews: the inspector's virtual grid (`div`s) and the Compare view's `<table>`. Text only, never markup.
 */
import { h } from '../dom';
import type { ColumnDef } from '../../src/shared/columns';

export interface SortState {
  column: string;
  descending: boolean;
}

/** A clickable header cell showing the sort direction (`aria-sort` for screen readers). */
export function headerCell<R>(tag: 'div' | 'th', c: ColumnDef<R>, sort: SortState | null, onSort: () => void): HTMLElement {
  const sorted = sort !== null && sort.column === c.id;
  const arrow = sorted ? (sort.descending ? ' ▼' : ' ▲') : '';
  return h(tag, {
    class: `cell col-${c.id}${c.numeric ? ' num' : ''} sortable${sorted ? ' sorted' : ''}`, title: `${c.title} — click to sort`,
    attrs: { role: 'columnheader', 'data-col': c.id, 'data-key': c.id, 'aria-sort': sorted ? (sort.descending ? 'descending' : 'ascending') : 'none', tabindex: tag === 'th' ? 0 : undefined },
    on: { click: onSort, keydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSort(); } } },
  }, c.label + arrow);
}

/** A cell: the column's text, tooltip and value class. */
export function cell<R>(tag: 'div' | 'td', c: ColumnDef<R>, row: R): HTMLElement {
  const extra = c.cellClass?.(row);
  const title = c.tooltip?.(row);
  return h(tag, { class: `cell col-${c.id}${c.numeric ? ' num' : ''}${c.mono ? ' mono' : ''}${extra ? ` ${extra}` : ''}`, title: title || undefined }, c.text(row));
}

/** The next sort after a click on column `id`: ascending (or `firstDescending`), then descending, then none. */
export function nextSort(current: SortState | null, id: string, firstDescending = false): SortState | null {
  if (!current || current.column !== id) return { column: id, descending: firstDescending };
  if (current.descending !== firstDescending) return null;
  return { column: id, descending: !firstDescending };
}
