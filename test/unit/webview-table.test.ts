import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRows, formatShape, formatCount, type TensorRow } from '../../src/shared/rows';
import { formatBytes } from '../../src/core/units';
import { visibleItems, pageOf, queryKey, rowFilter, DEFAULT_QUERY, type TableItem } from '../../src/shared/tableModel';
import { COLUMNS, compareOn, shownColumns, gridTemplate, type ColumnDef } from '../../src/shared/columns';
import { namePattern, globToRegExp } from '../../src/core/namePattern';
import type { LayoutKind } from '../../src/core/layout';
import { PageCache } from '../../webview/pager';
import { f32Storage, sampleCheckpoint, tensor } from './ext-fixtures';
import type { TensorInfo } from '../../src/core/model';

const rows = buildRows(sampleCheckpoint().tensors);
const names = (items: TableItem[]) => items.map((i) => (i.kind === 'group' ? `[${i.prefix}]` : i.row.name));

test('rows carry storage sharing counts and byte sizes', () => {
  const fc = rows.find((r) => r.name === 'model.fc.weight');
  assert.equal(fc?.storageShared, 2);
  assert.equal(fc?.bytes, 48);
  assert.equal(rows.find((r) => r.name === 'model.conv.weight')?.storageShared, 1);
  assert.equal(rows.find((r) => r.name === 'model.fc_t')?.layoutKind, 'non-contiguous');
  assert.equal(formatShape([3]), '(3,)');
  assert.equal(formatShape([]), '()');
  assert.equal(formatShape([2, 3]), '(2, 3)');
  assert.equal(formatBytes(1_234_567), '1.18 MiB');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(5 * 2 ** 30), '5.00 GiB');
  assert.equal(formatCount(11_689_512), '11.7M');
});

test('filter: substring (case-insensitive), glob, column terms', () => {
  assert.ok(namePattern('CONV').test('model.conv.weight'));
  assert.ok(!namePattern('conv').test('model.fc.weight'));
  assert.ok(globToRegExp('model.*.weight').test('model.conv.weight'));
  assert.ok(!globToRegExp('model.*.weight').test('model.conv.bias'));
  assert.ok(globToRegExp('model.f?.weight').test('model.fc.weight'));
  assert.ok(globToRegExp('model.[cf]*').test('model.fc_t'));
  const flat = { ...DEFAULT_QUERY, grouped: false };
  assert.deepEqual(names(visibleItems(rows, { ...flat, filter: '*.weight' })), ['model.conv.weight', 'model.fc.weight']);
  assert.deepEqual(names(visibleItems(rows, { ...flat, filter: 'exp_avg' })), ['optimizer.state.0.exp_avg']);
  assert.equal(visibleItems(rows, { ...flat, filter: 'dtype:float16' }).length, 0);
  assert.equal(visibleItems(rows, { ...flat, filter: 'dtype:float32 fc' }).length, 2);
});

test('a glob matches anywhere in the name unless anchored with ^ (or $); re: takes a regular expression', () => {
  const name = 'state_dict.module.stage3.0.conv.weight';
  assert.ok(namePattern('stage3.*.weight').test(name), 'found inside a prefixed name');
  assert.ok(!namePattern('^stage3.*.weight').test(name), '^ anchors at the start');
  assert.ok(namePattern('^state_dict.*.weight').test(name));
  assert.ok(namePattern('^state_dict.*.conv$').test('state_dict.x.conv'));
  assert.ok(!namePattern('^state_dict.*.conv$').test(name), '$ anchors at the end');
  assert.ok(namePattern('^state_dict').test(name), 'a bare ^ is a prefix test');
  assert.ok(namePattern('re:stage\\d\\.\\d+\\.conv').test(name));
  assert.ok(!namePattern('re:^stage').test(name));
  assert.ok(namePattern('re:WEIGHT$').test(name), 'case-insensitive like the rest');
  const bad = namePattern('re:stage(');
  assert.match(bad.error ?? '', /^invalid regular expression/);
  assert.equal(bad.test(name), false);
  assert.match(rowFilter('re:[').error ?? '', /invalid regular expression/);
  assert.equal(rowFilter('dtype:float32 stage3.*').error, null);
});

test('numeric column terms: numel:>N, bytes:<=N, offset:N', () => {
  const flat = { ...DEFAULT_QUERY, grouped: false };
  assert.deepEqual(names(visibleItems(rows, { ...flat, filter: 'numel:>12' })), ['model.conv.weight', 'optimizer.state.0.exp_avg']);
  assert.deepEqual(names(visibleItems(rows, { ...flat, filter: 'numel:12 fc' })), ['model.fc.weight', 'model.fc_t']);
  assert.deepEqual(names(visibleItems(rows, { ...flat, filter: 'bytes:<=8' })), ['model.conv.bias', 'model.bn.running_mean', '<img src=x onerror=alert(1)>']);
});

/** one tensor of every layout kind, as readers describe them */
function kindRows(): Array<{ row: TensorRow; kind: LayoutKind }> {
  const s = f32Storage('data/0', Array.from({ length: 64 }, (_, i) => i));
  const q = { ...f32Storage('data/1', [1, 2, 3, 4]), dtype: 'qint8' as const };
  const cases: Array<[LayoutKind, Partial<TensorInfo> & { shape: number[] }]> = [
    ['contiguous', { shape: [2, 3, 4] }],
    ['non-contiguous', { shape: [4, 3], stride: [1, 4] }],
    ['channels_last', { shape: [2, 3, 2, 2], stride: [12, 1, 6, 3] }],
    ['channels_last_3d', { shape: [1, 2, 2, 2, 2], stride: [16, 1, 8, 4, 2] }],
    ['expanded', { shape: [4, 3], stride: [0, 1] }],
    ['sparse_coo', { shape: [5, 5], stride: [], layout: 'sparse_coo', storage: null }],
    ['sparse_csr', { shape: [5, 5], stride: [], layout: 'sparse_csr', storage: null }],
    ['contiguous', { shape: [2, 2], quant: { scheme: 'per_tensor_affine', scale: 0.1, zeroPoint: 0 }, storage: q, dtype: 'qint8' }],
    ['non-contiguous', { shape: [2, 2], stride: [1, 2], quant: { scheme: 'per_channel_affine', axis: 0 }, storage: q, dtype: 'qint8' }],
    ['contiguous', { shape: [], stride: [] }],
    ['contiguous', { shape: [0, 3], stride: [1, 1] }],
    ['contiguous', { shape: [3, 1], stride: [1, 0] }],
  ];
  const tensors = cases.map(([kind, extra], i) => tensor(`k${i}.${kind}`, extra.shape, extra.storage === undefined ? s : extra.storage, extra));
  return buildRows(tensors).map((row, i) => ({ row, kind: cases[i][0] }));
}

test('layout: the column text, the layout: term and the sort all use layoutKind, for every kind', () => {
  const cases = kindRows();
  const all = cases.map((c) => c.row);
  const layout = COLUMNS.find((c) => c.id === 'layout')!;
  const flat = { ...DEFAULT_QUERY, grouped: false };
  for (const { row, kind } of cases) {
    assert.equal(row.layoutKind, kind, row.name);
    assert.equal(layout.text(row), kind, `${row.name}: the cell shows the kind`);
  }
  for (const kind of new Set(cases.map((c) => c.kind))) {
    const want = cases.filter((c) => c.kind === kind).map((c) => c.row.name);
    assert.deepEqual(names(visibleItems(all, { ...flat, filter: `layout:${kind}` })), want, `layout:${kind}`);
    assert.deepEqual(names(visibleItems(all, { ...flat, filter: `LAYOUT:${kind.toUpperCase()}` })), want, 'case-insensitive');
  }
  assert.deepEqual(names(visibleItems(all, { ...flat, filter: 'layout:sparse*' })), cases.filter((c) => c.kind.startsWith('sparse')).map((c) => c.row.name));
  assert.equal(visibleItems(all, { ...flat, filter: 'layout:contig' }).length, 0, 'a layout term is the whole kind, not a part of it');
  const sorted = visibleItems(all, { ...flat, sort: { column: 'layout', descending: false } }).map((i) => (i.kind === 'tensor' ? i.row.layoutKind : ''));
  assert.deepEqual(sorted, [...sorted].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
});

test('columns are data: a new (optional) column is one entry, shown once a row has a value, sorted and filtered', () => {
  // what a statistics column looks like: a number that exists only after it is computed
  const maxAbs = new Map<number, number>([[0, 5], [3, 2], [5, 9]]);
  const stat: ColumnDef = {
    id: 'maxabs', label: '|max|', title: 'largest magnitude', width: '70px', numeric: true, optional: true,
    value: (r) => maxAbs.get(r.index) ?? null, text: (r) => (maxAbs.has(r.index) ? String(maxAbs.get(r.index)) : ''),
    filter: { key: 'maxabs', match: 'exact' },
  };
  const defs = [...COLUMNS, stat];
  // the built-in statistics columns are optional too: hidden while no row has statistics
  const always = COLUMNS.filter((c) => !c.optional).map((c) => c.id);
  assert.deepEqual(shownColumns(rows, defs), [...always, 'maxabs']);
  maxAbs.clear();
  assert.deepEqual(shownColumns(rows, defs), always, 'hidden while empty');
  maxAbs.set(0, 5).set(3, 2).set(5, 9);
  assert.equal(gridTemplate(defs).split(' ').pop(), '70px');
  const order = [...rows].sort((a, b) => compareOn(stat, a, b, true)).map((r) => r.index);
  assert.deepEqual(order.slice(0, 3), [5, 0, 3], 'descending by value');
  assert.deepEqual([...rows].sort((a, b) => compareOn(stat, a, b, false)).map((r) => r.index).slice(0, 3), [3, 0, 5], 'ascending by value');
  assert.deepEqual(order.slice(3), [1, 2, 4, 6], 'rows without a value last, in file order, either way');
  const f = rowFilter('maxabs:>=5', defs);
  assert.deepEqual(rows.filter(f.test).map((r) => r.index), [0, 5]);
});

test('sort by any column, both directions, ties in file order', () => {
  const flat = { ...DEFAULT_QUERY, grouped: false };
  const byBytes = names(visibleItems(rows, { ...flat, sort: { column: 'bytes', descending: true } }));
  assert.equal(byBytes[0], 'model.conv.weight'); // 96 B, first in file among the two 96 B tensors
  assert.equal(byBytes[1], 'optimizer.state.0.exp_avg');
  const byName = names(visibleItems(rows, { ...flat, sort: { column: 'name', descending: false } }));
  assert.deepEqual(byName, [...byName].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  for (const column of ['dtype', 'shape', 'stride', 'offset', 'layout', 'storage', 'device', 'numel'] as const) {
    assert.equal(visibleItems(rows, { ...flat, sort: { column, descending: false } }).length, rows.length, column);
  }
  const byShape = names(visibleItems(rows, { ...flat, sort: { column: 'shape', descending: false } }));
  assert.equal(byShape[byShape.length - 1], 'optimizer.state.0.exp_avg');
});

test('group by module prefix: tree, merged chains, collapse', () => {
  const items = visibleItems(rows, DEFAULT_QUERY);
  assert.deepEqual(names(items), [
    '[model]', '[model.conv]', 'model.conv.weight', 'model.conv.bias', '[model.bn]', 'model.bn.running_mean',
    '[model.fc]', 'model.fc.weight', 'model.fc_t', '[optimizer.state.0]', 'optimizer.state.0.exp_avg', '<img src=x onerror=alert(1)>',
  ]);
  const opt = items.find((i) => i.kind === 'group' && i.prefix === 'optimizer.state.0');
  assert.equal(opt?.kind === 'group' && opt.label, 'optimizer.state.0'); // a chain of single groups shows as one
  const model = items[0];
  assert.ok(model.kind === 'group' && model.count === 5 && model.depth === 0);
  const leaf = items.find((i) => i.kind === 'tensor' && i.row.name === 'model.conv.weight');
  assert.ok(leaf?.kind === 'tensor' && leaf.label === 'weight' && leaf.depth === 2);
  const collapsed = visibleItems(rows, { ...DEFAULT_QUERY, collapsed: ['model'] });
  assert.deepEqual(names(collapsed), ['[model]', '[optimizer.state.0]', 'optimizer.state.0.exp_avg', '<img src=x onerror=alert(1)>']);
  const filtered = visibleItems(rows, { ...DEFAULT_QUERY, filter: 'bias' });
  assert.deepEqual(names(filtered), ['[model.conv]', 'model.conv.bias']);
});

test('100,000 rows: filter, sort and group stay fast enough to run per keystroke', () => {
  const many = buildRows(Array.from({ length: 100_000 }, (_, i) => tensor(`layers.${Math.floor(i / 10)}.block.${i % 10}.weight`, [i % 7 + 1, 3], null)));
  const items = visibleItems(many, DEFAULT_QUERY);
  assert.equal(items.filter((i) => i.kind === 'tensor').length, 100_000);
  assert.equal(visibleItems(many, { ...DEFAULT_QUERY, filter: 'layers.9999.*', grouped: false }).length, 10);
});

test('pages are clamped, query keys are stable', () => {
  const items = Array.from({ length: 450 }, (_, i) => i);
  assert.deepEqual(pageOf(items, 400, 200), { start: 400, total: 450, items: items.slice(400) });
  assert.equal(pageOf(items, 1000, 200).items.length, 0);
  assert.equal(pageOf(items, 0, 5000).items.length, 450 > 1000 ? 1000 : 450);
  assert.equal(queryKey({ ...DEFAULT_QUERY, collapsed: ['b', 'a'] }), queryKey({ ...DEFAULT_QUERY, collapsed: ['a', 'b'] }));
  assert.notEqual(queryKey(DEFAULT_QUERY), queryKey({ ...DEFAULT_QUERY, filter: 'x' }));
});

test('page cache: claims each missing page once, drops stale replies, bounded LRU', () => {
  const c = new PageCache<number>(10, 3);
  assert.deepEqual(c.claimMissing(0, 25), [0, 1, 2]);
  assert.deepEqual(c.claimMissing(0, 25), []);
  assert.ok(c.put(c.version, 0, Array.from({ length: 10 }, (_, i) => i), 100));
  assert.equal(c.get(3), 3);
  const old = c.version;
  c.reset();
  assert.ok(!c.put(old, 10, [10], 100), 'a reply for an older query is ignored');
  assert.equal(c.get(3), undefined);
  for (const p of [0, 1, 2, 3]) {
    c.claimMissing(p * 10, p * 10);
    c.put(c.version, p * 10, Array.from({ length: 10 }, (_, i) => p * 10 + i), 100);
  }
  assert.equal(c.loadedPages, 3);
  assert.equal(c.get(5), undefined, 'the oldest page was evicted');
  assert.equal(c.get(35), 35);
  assert.equal(c.findLoaded((x) => x === 27), 27);
  assert.deepEqual(c.claimMissing(95, 200), [9], 'never asks past the end');
});
