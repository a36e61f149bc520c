/**
 * The table's logic, pure and shared: filter (substring or glob), sort by any column, group by module prefix
 * as a collapsible tree, and cut the result into pages. The host runs it over all rows; the webview only ever
 * receives the page it shows.
 */
import type { TensorRow } from './rows';

export const COLUMNS = ['name', 'dtype', 'shape', 'stride', 'offset', 'layout', 'storage', 'device', 'numel', 'bytes'] as const;
export type ColumnId = (typeof COLUMNS)[number];

export function isColumnId(x: unknown): x is ColumnId {
  return typeof x === 'string' && (COLUMNS as readonly string[]).includes(x);
}

export interface TableQuery {
  /** substring (case-insensitive) or glob (`*`, `?`, `[abc]`) over the name; `dtype:`/`device:` terms filter columns */
  filter: string;
  sort: { column: ColumnId; descending: boolean } | null;
  /** tree by module prefix (true) or flat list (false) */
  grouped: boolean;
  /** prefixes of collapsed groups */
  collapsed: string[];
}

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

/** A matcher for the filter text: glob when it has `*`, `?` or `[`, else case-insensitive substring. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.trim();
  if (!p) return () => true;
  if (/[*?[]/.test(p)) {
    const re = globToRegExp(p);
    return (name) => re.test(name);
  }
  const lower = p.toLowerCase();
  return (name) => name.toLowerCase().includes(lower);
}

/** `layer*.weight` → /^layer.*\.weight$/i (a glob must match the whole name) */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

/** Split the filter into column terms (`dtype:float16 device:cuda`) and the name pattern (the rest). */
export function parseFilter(filter: string): { name: string; terms: Array<{ column: 'dtype' | 'device' | 'layout'; value: string }> } {
  const terms: Array<{ column: 'dtype' | 'device' | 'layout'; value: string }> = [];
  const rest: string[] = [];
  for (const word of filter.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(dtype|device|layout):(.+)$/i.exec(word);
    if (m) terms.push({ column: m[1].toLowerCase() as 'dtype' | 'device' | 'layout', value: m[2].toLowerCase() });
    else rest.push(word);
  }
  return { name: rest.join(' '), terms };
}

export function rowMatcher(filter: string): (row: TensorRow) => boolean {
  const { name, terms } = parseFilter(filter);
  const byName = nameMatcher(name);
  return (row) => {
    for (const t of terms) {
      const v = t.column === 'dtype' ? row.dtype : t.column === 'device' ? row.device : layoutText(row);
      if (!v.toLowerCase().includes(t.value)) return false;
    }
    return byName(row.name) || (row.alias !== undefined && byName(row.alias));
  };
}

function layoutText(row: TensorRow): string {
  return row.contiguous ? 'contiguous' : `${row.memoryFormat} non-contiguous`;
}

function compareArrays(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const collator = new Intl.Collator('en', { numeric: true });

/** Compare two rows on a column; ties keep file order whatever the direction. */
export function compareRows(a: TensorRow, b: TensorRow, column: ColumnId, descending = false): number {
  const c = compareColumn(a, b, column);
  return (descending ? -c : c) || a.index - b.index;
}

function compareColumn(a: TensorRow, b: TensorRow, column: ColumnId): number {
  let c = 0;
  switch (column) {
    case 'name': c = collator.compare(a.name, b.name); break;
    case 'dtype': c = collator.compare(a.dtype, b.dtype); break;
    case 'shape': c = a.shape.length - b.shape.length || compareArrays(a.shape, b.shape); break;
    case 'stride': c = compareArrays(a.stride, b.stride); break;
    case 'offset': c = a.offset - b.offset; break;
    case 'layout': c = collator.compare(layoutText(a), layoutText(b)); break;
    case 'storage': c = collator.compare(a.storageKey ?? '', b.storageKey ?? '') || a.offset - b.offset; break;
    case 'device': c = collator.compare(a.device, b.device); break;
    case 'numel': c = a.numel - b.numel; break;
    case 'bytes': c = a.bytes - b.bytes; break;
  }
  return c;
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
  const match = rowMatcher(query.filter);
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
