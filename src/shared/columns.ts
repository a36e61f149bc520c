/**
 * The Tensors table's columns as data. Each entry gives a column's header, width, cell text, sort order and filter
 * term; the host sorts and filters with it (tableModel.ts) and the webview draws the header and the cells from it
 * (webview/views/table.ts). Adding a column is one entry here (plus its field in `TensorRow` when the value is new).
 */
import type { TensorRow } from './rows';
import type { RowStats } from './rowStats';
import { FLAG_WORDS, formatStat } from './rowStats';
import { formatCount, formatShape } from './rows';
import { formatBytes } from '../core/units';

/** A column of a table of rows `R` (the inspector's tensors; the Compare view's tensor pairs). */
export interface ColumnDef<R = TensorRow> {
  readonly id: string;
  readonly label: string;
  /** the header's tooltip */
  readonly title: string;
  /** the CSS grid track (`78px`, `minmax(200px, 3fr)`) */
  readonly width: string;
  /** right-aligned, for numbers */
  readonly numeric?: boolean;
  /** in the editor's (monospace) font */
  readonly mono?: boolean;
  /** the cell's text; '' when the row has no value */
  text(row: R): string;
  /** the cell's tooltip */
  tooltip?(row: R): string;
  /** a class for the cell from its value (`layout-expanded`, `cuda`) */
  cellClass?(row: R): string;
  /** a number: sorts numerically (rows without one last, either direction) and filters with `key:>N`, `key:<=N`, `key:N` */
  value?(row: R): number | null;
  /** the sort order; without it `value`, else the text in natural order */
  compare?(a: R, b: R): number;
  /** the filter term `key:text`: a substring of the cell's text, or the whole text (a glob is allowed) */
  readonly filter?: { readonly key: string; readonly match: 'substring' | 'exact' };
  /** hidden while no row has a value (statistics before they are computed) */
  readonly optional?: boolean;
}

/** Keeps each entry's `id` as a literal type, so `ColumnId` lists them. */
function columns<const T extends readonly ColumnDef[]>(defs: T): T {
  return defs;
}

function compareArrays(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export const collator = new Intl.Collator('en', { numeric: true });

/** A statistic's column: empty (and hidden) until statistics are computed; sorts and filters (`max:>1e4`) by value. */
function statColumn<const Id extends string>(id: Id, label: string, title: string, pick: (s: RowStats) => number | null, format: (v: number | null) => string = formatStat) {
  return {
    id, label, title, width: '78px', numeric: true, mono: true, optional: true,
    text: (r: TensorRow) => (r.stats ? format(pick(r.stats)) : ''),
    tooltip: (r: TensorRow) => (r.stats ? String(pick(r.stats)) : 'not computed yet: Compute All Statistics'),
    value: (r: TensorRow) => (r.stats ? pick(r.stats) : null),
    filter: { key: id, match: 'substring' as const },
  };
}

/** min, max, mean, std, NaN/Inf, zeros % and the suspicious-tensor flags (rowStats.ts). */
function statColumns() {
  return [
    statColumn('min', 'min', 'smallest finite value', (s) => s.min),
    statColumn('max', 'max', 'largest finite value', (s) => s.max),
    statColumn('mean', 'mean', 'mean of the finite values', (s) => s.mean),
    statColumn('std', 'std', 'standard deviation of the finite values (as torch.std)', (s) => s.std),
    statColumn('naninf', 'NaN/Inf', 'elements that are NaN or ±Inf', (s) => s.nan + s.inf, (v) => (v === null ? '' : String(v))),
    statColumn('zeros', 'zeros %', 'share of elements equal to 0', (s) => s.zerosPct, (v) => (v === null ? '' : `${Number(v.toFixed(1))}`)),
    {
      id: 'flags', label: 'Flags', title: `suspicious: ${Object.values(FLAG_WORDS).join(', ')} — filter with flag:nan, flag:dead, … or flag:>0 for any`,
      width: 'minmax(90px, 1fr)', optional: true,
      text: (r: TensorRow) => (r.stats ? r.stats.flags.join(' ') : ''),
      tooltip: (r: TensorRow) => (r.stats ? (r.stats.flags.length ? r.stats.flags.map((f) => FLAG_WORDS[f]).join('; ') : 'nothing suspicious') : 'not computed yet: Compute All Statistics'),
      cellClass: (r: TensorRow) => (r.stats?.flags.length ? 'flagged' : ''),
      // sorts by the number of flags; `flag:>0` keeps the suspicious ones
      value: (r: TensorRow) => (r.stats ? r.stats.flags.length : null),
      filter: { key: 'flag', match: 'substring' as const },
    },
  ] as const;
}

const DEFS = columns([
  {
    id: 'name', label: 'Name', title: 'tensor name (state-dict key)', width: 'minmax(200px, 3fr)',
    text: (r) => r.name, tooltip: (r) => r.name, compare: (a, b) => collator.compare(a.name, b.name),
  },
  {
    id: 'dtype', label: 'dtype', title: 'element type (torch name)', width: '78px',
    text: (r) => (r.numpyDtype ? `${r.dtype} (np)` : r.dtype), compare: (a, b) => collator.compare(a.dtype, b.dtype),
    filter: { key: 'dtype', match: 'substring' },
  },
  {
    id: 'shape', label: 'Shape', title: 'tensor.shape', width: '124px', mono: true,
    text: (r) => formatShape(r.shape), tooltip: (r) => `torch.Size([${r.shape.join(', ')}])`,
    compare: (a, b) => a.shape.length - b.shape.length || compareArrays(a.shape, b.shape),
  },
  {
    id: 'stride', label: 'Stride', title: 'tensor.stride(), in elements', width: '142px', mono: true,
    text: (r) => (r.layout === 'strided' ? formatShape(r.stride) : '—'), compare: (a, b) => compareArrays(a.stride, b.stride),
  },
  {
    id: 'offset', label: 'Offset', title: 'tensor.storage_offset(), in elements', width: '60px', numeric: true, mono: true,
    text: (r) => String(r.offset), value: (r) => r.offset,
  },
  {
    id: 'layout', label: 'Layout', title: 'contiguous, channels_last, expanded (a broadcast), non-contiguous (a view), or a sparse layout', width: '122px',
    text: (r) => r.layoutKind, cellClass: (r) => `layout-${r.layoutKind}`, filter: { key: 'layout', match: 'exact' },
  },
  {
    id: 'storage', label: 'Storage', title: 'storage key in the file; “shared ×N” = N tensors view the same storage (click to see them)', width: '96px',
    text: (r) => (r.storageKey === null ? '—' : r.storageShared > 1 ? `shared ×${r.storageShared}` : r.storageKey),
    tooltip: (r) => (r.storageKey === null ? '' : r.storageShared > 1 ? `storage ${r.storageKey} is shared by ${r.storageShared} tensors — show them` : `storage ${r.storageKey}`),
    compare: (a, b) => collator.compare(a.storageKey ?? '', b.storageKey ?? '') || a.offset - b.offset,
  },
  {
    id: 'device', label: 'Device', title: 'the device it was saved from', width: '62px',
    text: (r) => r.device, cellClass: (r) => (/^cuda/.test(r.device) ? 'cuda' : ''), filter: { key: 'device', match: 'substring' },
  },
  {
    id: 'numel', label: 'numel', title: 'tensor.numel()', width: '76px', numeric: true, mono: true,
    text: (r) => formatCount(r.numel), tooltip: (r) => String(r.numel), value: (r) => r.numel, filter: { key: 'numel', match: 'exact' },
  },
  {
    id: 'bytes', label: 'Bytes', title: 'numel × element size (this tensor only)', width: '76px', numeric: true,
    text: (r) => formatBytes(r.bytes), tooltip: (r) => `${r.bytes} bytes`, value: (r) => r.bytes, filter: { key: 'bytes', match: 'exact' },
  },
  ...statColumns(),
]);

export type ColumnId = (typeof DEFS)[number]['id'];

/** The table's columns, in order. */
export const COLUMNS: readonly ColumnDef[] = DEFS;

const BY_ID = new Map<string, ColumnDef>(COLUMNS.map((c) => [c.id, c]));

export function isColumnId(x: unknown): x is ColumnId {
  return typeof x === 'string' && BY_ID.has(x);
}

export function columnById(id: ColumnId): ColumnDef {
  return BY_ID.get(id) as ColumnDef;
}

/** Whether a row has a value in a column (an optional column with none in any row is hidden). */
function hasValue(c: ColumnDef, row: TensorRow): boolean {
  return c.value ? c.value(row) !== null : c.text(row) !== '';
}

/** The columns to show for these rows, in order: every column but the optional ones no row has a value in. */
export function shownColumns(rows: readonly TensorRow[], defs: readonly ColumnDef[] = COLUMNS): string[] {
  return defs.filter((c) => !c.optional || rows.some((r) => hasValue(c, r))).map((c) => c.id);
}

/** The CSS `grid-template-columns` for these columns. */
export function gridTemplate<R>(defs: readonly ColumnDef<R>[]): string {
  return defs.map((c) => c.width).join(' ');
}

/** Compare two rows on a column; rows without a value come last either way; ties keep file order. */
export function compareOn<R extends { readonly index: number }>(c: ColumnDef<R>, a: R, b: R, descending: boolean): number {
  let d: number;
  if (c.compare) d = c.compare(a, b);
  else if (c.value) {
    const va = c.value(a);
    const vb = c.value(b);
    if (va === null || vb === null || Number.isNaN(va) || Number.isNaN(vb)) {
      const na = va === null || Number.isNaN(va);
      const nb = vb === null || Number.isNaN(vb);
      return na === nb ? a.index - b.index : na ? 1 : -1;
    }
    d = va - vb;
  } else d = collator.compare(c.text(a), c.text(b));
  return (descending ? -d : d) || a.index - b.index;
}
