/**
 * The table's logic, pure and shared: filter (name pattern and column terms), sort by any column, group by module
 * prefix as a collapsible tree, and cut the result into pages. The host runs it over all rows; the webview only
 * ever receives the page it shows. Columns are data (columns.ts): sorting and `key:value` terms come from there.
 */
import type { TensorRow } from './rows';
import { COLUMNS, compareOn, columnById, isColumnId, type ColumnDef, type ColumnId } from './columns';
import { arr, bool, guard, nullable, obj, str, type Infer } from './schema';
import { globToRegExp, namePattern } from '../core/namePattern';

const columnId = guard(isColumnId, 'a column id');

/** What the table shows: the webview asks the host for pages of it, and keeps it in its saved state. */
export const tableQuery = obj({
  /** a name pattern (substring, glob, `re:REGEX`; core/namePattern.ts) and column terms (`dtype:float16 layout:expanded numel:>1000`) */
  filter: str(1000),
  sort: nullable(obj({ column: columnId, descending: bool() })),
  /** tree by module prefix (true) or flat list (false) */
  grouped: bool(),
  /** prefixes of collapsed groups */
  collapsed: arr(str(), 100_000),
});
export type TableQuery = Infer<typeof tableQuery>;

export const DEFAULT_QUERY: TableQuery = { filter: '', sort: null, grouped: true, collapsed: [] };

export interface GroupItem {
  kind: 'group';
  /** full prefix without trailing dot (`layer1.0`) */
  prefix: string;
  /** what the tree shows (the part of the prefix below the parent group; chains are merged: `layer1.0`) */
  label: string;
  depth: number;
  /** tensors below this group (after filtering) */
  count: number;
  numel: number;
  bytes: number;
  collapsed: boolean;
}

export interface TensorItem {
  kind: 'tensor';
  depth: number;
  /** the name below the enclosing group (`weight`), the full name when flat */
  label: string;
  row: TensorRow;
}

export type TableItem = GroupItem | TensorItem;

export interface FilterTerm {
  column: ColumnDef;
  /** lower-case */
  value: string;
}

/** Split the filter into column terms (`dtype:float16 device:cuda`, any column's `filter.key`) and the name pattern (the rest). */
export function parseFilter(filter: string, defs: readonly ColumnDef[] = COLUMNS): { name: string; terms: FilterTerm[] } {
  const byKey = new Map<string, ColumnDef>();
  for (const c of defs) if (c.filter) byKey.set(c.filter.key.toLowerCase(), c);
  const terms: FilterTerm[] = [];
  const rest: string[] = [];
  for (const word of filter.trim().split(/\s+/).filter(Boolean)) {
    const colon = word.indexOf(':');
    const column = colon > 0 ? byKey.get(word.slice(0, colon).toLowerCase()) : undefined;
    if (column && colon < word.length - 1) terms.push({ column, value: word.slice(colon + 1).toLowerCase() });
    else rest.push(word);
  }
  return { name: rest.join(' '), terms };
}

const NUMERIC_TERM = /^(>=|<=|>|<|=)?(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/;

/** One column term as a row test: a comparison on a numeric column, else the cell's text (a substring, or whole). */
function termMatcher(t: FilterTerm): (row: TensorRow) => boolean {
  const c = t.column;
  const num = c.value ? NUMERIC_TERM.exec(t.value) : null;
  if (c.value && num) {
    const value = c.value;
    const x = Number(num[2]);
    switch (num[1]) {
      case '>': return (r) => { const v = value(r); return v !== null && v > x; };
      case '<': return (r) => { const v = value(r); return v !== null && v < x; };
      case '>=': return (r) => { const v = value(r); return v !== null && v >= x; };
      case '<=': return (r) => { const v = value(r); return v !== null && v <= x; };
      default: return (r) => value(r) === x;
    }
  }
  if (c.filter?.match === 'exact') {
    if (/[*?[]/.test(t.value)) {
      const re = globToRegExp(`^${t.value}$`);
      return (r) => re.test(c.text(r));
    }
    return (r) => c.text(r).toLowerCase() === t.value;
  }
  return (r) => c.text(r).toLowerCase().includes(t.value);
}

/** The filter as a row test, with the reason it matches nothing when its name pattern is invalid. */
export function rowFilter(filter: string, defs: readonly ColumnDef[] = COLUMNS): { test: (row: TensorRow) => boolean; error: string | null } {
  const { name, terms } = parseFilter(filter, defs);
  const byName = namePattern(name);
  const tests = terms.map(termMatcher);
  return {
    test: (row) => tests.every((t) => t(row)) && (byName.test(row.name) || (row.alias !== undefined && byName.test(row.alias))),
    error: byName.error,
  };
}

/** Compare two rows on a column; ties keep file order whatever the direction. */
export function compareRows(a: TensorRow, b: TensorRow, column: ColumnId, descending = false): number {
  return compareOn(columnById(column), a, b, descending);
}

interface Node {
  prefix: string;
  children: Map<string, Node>;
  /** tensors directly in this group, in view order (`order` = position in the sorted/filtered list) */
  tensors: Array<{ row: TensorRow; label: string; order: number }>;
  count: number;
  numel: number;
  bytes: number;
  /** position of the first tensor below, to keep file (or sort) order among groups */
  first: number;
}

function newNode(prefix: string, first: number): Node {
  return { prefix, children: new Map(), tensors: [], count: 0, numel: 0, bytes: 0, first };
}

/**
 * The visible items for a query: filtered, sorted, grouped (with collapsed groups' children left out).
 * O(n log n) for sorting, linear otherwise; the host caches the result per query.
 */
export function visibleItems(rows: readonly TensorRow[], query: TableQuery): TableItem[] {
  const match = rowFilter(query.filter).test;
  let kept = query.filter.trim() ? rows.filter(match) : rows.slice();
  if (query.sort) {
    const { column, descending } = query.sort;
    kept = kept.sort((a, b) => compareRows(a, b, column, descending));
  }
  if (!query.grouped) return kept.map((row) => ({ kind: 'tensor', depth: 0, label: row.alias ?? row.name, row }));

  const root = newNode('', 0);
  for (let order = 0; order < kept.length; order++) {
    const row = kept[order];
    const name = row.alias === undefined ? row.name : aliasPath(row.alias);
    let node = root;
    node.count++; node.numel += row.numel; node.bytes += row.bytes;
    let start = 0;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', start)) {
      const key = name.slice(start, dot).replace(/\u0000/g, '.');
      let child = node.children.get(key);
      if (!child) {
        child = newNode(node.prefix ? `${node.prefix}.${key}` : key, order);
        node.children.set(key, child);
      }
      node = child;
      node.count++; node.numel += row.numel; node.bytes += row.bytes;
      start = dot + 1;
    }
    node.tensors.push({ row, label: name.slice(start).replace(/\u0000/g, '.'), order });
  }

  const collapsed = new Set(query.collapsed);
  const out: TableItem[] = [];
  const emit = (node: Node, depth: number): void => {
    // tensors and sub-groups interleaved by first appearance; both lists are already in that order: merge them
    const groups: Array<{ label: string; node: Node }> = [];
    for (const [key, child0] of node.children) {
      // merge chains: a group whose only content is one sub-group shows as `a.b`
      let child = child0;
      let label = key;
      while (child.tensors.length === 0 && child.children.size === 1) {
        const [k, c] = child.children.entries().next().value as [string, Node];
        label += `.${k}`;
        child = c;
      }
      groups.push({ label, node: child });
    }
    let i = 0;
    let j = 0;
    while (i < node.tensors.length || j < groups.length) {
      if (j >= groups.length || (i < node.tensors.length && node.tensors[i].order < groups[j].node.first)) {
        const t = node.tensors[i++];
        out.push({ kind: 'tensor', depth, label: t.label, row: t.row });
      } else {
        const { label, node: g } = groups[j++];
        const isCollapsed = collapsed.has(g.prefix);
        out.push({ kind: 'group', prefix: g.prefix, label, depth, count: g.count, numel: g.numel, bytes: g.bytes, collapsed: isCollapsed });
        if (!isCollapsed) emit(g, depth + 1);
      }
    }
  };
  emit(root, 0);
  return out;
}

/** Every group prefix of the current view (for "collapse all"). */
export function allGroupPrefixes(rows: readonly TensorRow[]): string[] {
  const set = new Set<string>();
  for (const r of rows) {
    const parts = (r.alias === undefined ? r.name : aliasPath(r.alias)).split('.').map((p) => p.replace(/\u0000/g, '.'));
    for (let i = 1; i < parts.length; i++) set.add(parts.slice(0, i).join('.'));
  }
  return [...set];
}

/**
 * An alias's group path: `opt.state[conv1.weight].exp_avg` groups as opt › state › [conv1.weight] › exp_avg, so
 * the dots inside brackets are not separators (kept as NUL until shown).
 */
function aliasPath(alias: string): string {
  return alias.replace(/\[[^\]]*\]/g, (m) => `.${m.replace(/\./g, '\u0000')}`);
}

/** One page of items; `start` is clamped to the list. */
export function pageOf<T>(items: readonly T[], start: number, count: number): { start: number; total: number; items: T[] } {
  const total = items.length;
  const s = Math.max(0, Math.min(Math.floor(start), total));
  const n = Math.max(0, Math.min(Math.floor(count), 1000));
  return { start: s, total, items: items.slice(s, s + n) };
}

/** A stable key for caching a query's result. */
export function queryKey(q: TableQuery): string {
  return JSON.stringify([q.filter.trim(), q.sort?.column ?? null, q.sort?.descending ?? false, q.grouped, [...q.collapsed].sort()]);
}
