/**
 * Host-side cost of showing a checkpoint in the inspector, without a browser: open (H1's readers) → rows →
 * summary → the first page of the grouped table; then re-query costs (filter, sort) on the same rows.
 *   node --import tsx bench/inspector-host.ts FILE...
 * Prints one JSON line per file (milliseconds).
 */
import { openCheckpoint } from '../src/core/open';
import { buildRows } from '../src/shared/rows';
import { computeSummary } from '../src/shared/summary';
import { mapOptimizerParams } from '../src/shared/content';
import { DEFAULT_QUERY, pageOf, visibleItems } from '../src/shared/tableModel';

async function main(): Promise<void> {
  for (const file of process.argv.slice(2)) {
    const t0 = performance.now();
    const cp = await openCheckpoint(file);
    const t1 = performance.now();
    const rows = buildRows(cp.tensors);
    const summary = computeSummary(cp);
    mapOptimizerParams(cp.content, cp.tensors.map((t) => t.name));
    const t2 = performance.now();
    const items = visibleItems(rows, DEFAULT_QUERY);
    pageOf(items, 0, 200);
    const t3 = performance.now();
    visibleItems(rows, { ...DEFAULT_QUERY, filter: 'weight' });
    const t4 = performance.now();
    visibleItems(rows, { ...DEFAULT_QUERY, grouped: false, sort: { column: 'bytes', descending: true } });
    const t5 = performance.now();
    const r = (x: number) => Math.round(x * 10) / 10;
    console.log(JSON.stringify({ file, tensors: cp.tensors.length, storages: summary.storageCount, openMs: r(t1 - t0), rowsSummaryMs: r(t2 - t1), firstPageMs: r(t3 - t2), totalMs: r(t3 - t0), filterMs: r(t4 - t3), flatSortMs: r(t5 - t4) }));
    await cp.close();
  }
}

void main();
