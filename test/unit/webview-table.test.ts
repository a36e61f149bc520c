import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRows, formatShape, formatBytes, formatCount, layoutLabel } from '../../src/shared/rows';
import { visibleItems, nameMatcher, globToRegExp, pageOf, queryKey, DEFAULT_QUERY, type TableItem } from '../../src/shared/tableModel';
import { PageCache } from '../../webview/pager';
import { sampleCheckpoint, tensor } from './ext-fixtures';

const rows = buildRows(sampleCheckpoint().tensors);
const names = (items: TableItem[]) => items.map((i) => (i.kind === 'group' ? `[${i.prefix}]` : i.row.name));

test('rows carry storage sharing counts and byte sizes', () => {
  const fc = rows.find((r) => r.name === 'model.fc.weight');
  assert.equal(fc?.storageShared, 2);
  assert.equal(fc?.bytes, 48);
  assert.equal(rows.find((r) => r.name === 'model.conv.weight')?.storageShared, 1);
  assert.equal(layoutLabel(rows.find((r) => r.name === 'model.fc_t')!), 'non-contiguous');
  assert.equal(formatShape([3]), '(3,)');
  assert.equal(formatShape([]), '()');
  assert.equal(formatShape([2, 3]), '(2, 3)');
  assert.equal(formatBytes(1_234_567), '1.23 MB');
  assert.equal(formatCount(11_689_512), '11.7M');
});

test('filter: substring (case-insensitive), glob, column terms', () => {
  assert.ok(nameMatcher('CONV')('model.conv.weight'));
  assert.ok(!nameMatcher('conv')('model.fc.weight'));
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
