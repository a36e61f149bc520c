/**
 * The Compare Checkpoints webview: asks the host for the report (src/shared/protocol.ts COMPARE) and shows it —
 * facts about the two files, key problems as load_state_dict(strict=True) reports them, then the matched tensors
 * as a sortable table. Each part of the report is one entry in FACTS, SECTIONS or COLUMNS below, so a field the
 * report gains is one line here. Text nodes only: keys from files never become markup.
 */
import { h, clear } from '../dom';
import { button, registerToolkit } from '../ui/toolkit';
import { cell, headerCell, nextSort, type SortState } from '../ui/columns';
import { connect } from '../channel';
import { COMPARE, type CompareProtocol } from '../../src/shared/protocol';
import type { HostNote } from '../../src/shared/channel';
import { compareOn, type ColumnDef } from '../../src/shared/columns';
import type { CheckpointDiff, TensorDiff } from '../../src/compute/diffValues';

type Report = CheckpointDiff;
/** a matched pair with its place in the report (ties keep it) */
type Row = TensorDiff & { readonly index: number };

/** lines above the lists: what was compared, and how the keys were aligned */
const FACTS: ReadonlyArray<(d: Report) => string | null> = [
  (d) => `A (the model): ${d.a}`,
  (d) => `B (loaded into A as load_state_dict(strict=True) would): ${d.b}`,
];

const count = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;

/** the state dict taken from each file (with the button to choose others), then load_state_dict's verdict */
function choiceBox(d: Report): HTMLElement[] {
  const box = h('div', { class: 'choice' },
    h('p', { class: 'choice-a' }, `A: ${d.choice.a.text}`),
    h('p', { class: 'choice-b' }, `B: ${d.choice.b.text}`),
    button('Choose State Dicts…', () => host.note('choose', {}), { title: 'Pick the state dict inside each file and the key prefixes to remove', id: 'choose' }));
  const verdict = d.strictOk ? 'load_state_dict(strict=True) would succeed'
    : `load_state_dict(strict=True) would fail: ${[count(d.missing.length, 'missing key', 'missing keys'), count(d.unexpected.length, 'unexpected key', 'unexpected keys'), count(d.shapeMismatch.length, 'size mismatch', 'size mismatches')].join(', ')}`;
  return [box, h('p', { class: `verdict ${d.strictOk ? 'ok' : 'fail'}`, attrs: { id: 'verdict' } }, verdict)];
}

/** the key problems, each a titled list */
const SECTIONS: ReadonlyArray<{ id: string; title: string; items: (d: Report) => string[] }> = [
  { id: 'missing', title: 'Missing keys', items: (d) => d.missing },
  { id: 'unexpected', title: 'Unexpected keys', items: (d) => d.unexpected },
  { id: 'size', title: 'Size mismatches', items: (d) => d.shapeMismatch.map((s) => s.message) },
  { id: 'dtype', title: 'Dtype mismatches', items: (d) => d.dtypeMismatch.map((s) => `${s.key}: ${s.bDtype} in B, ${s.aDtype} in A`) },
];

const numberText = (v: number | null, r: Row): string => (v === null ? (r.skipped ? `(${r.skipped})` : '—') : v.toPrecision(6));

/** the matched tensors' columns (the same ColumnDef as the inspector's table) */
const COLUMNS: ReadonlyArray<ColumnDef<Row>> = [
  { id: 'key', label: 'tensor', title: 'the state-dict key (after prefix alignment)', width: 'auto', text: (r) => r.key },
  { id: 'dtype', label: 'dtype', title: 'element type', width: 'auto', text: (r) => r.dtype },
  {
    id: 'shape', label: 'shape', title: 'tensor.shape (sorts by element count)', width: 'auto', mono: true,
    text: (r) => (r.shape.length ? r.shape.join('×') : 'scalar'), value: (r) => r.numel,
  },
  { id: 'max_abs_diff', label: 'max |a−b|', title: 'largest absolute difference', width: 'auto', numeric: true, text: (r) => numberText(r.max_abs_diff, r), value: (r) => r.max_abs_diff },
  { id: 'mae', label: 'mean |a−b|', title: 'mean absolute difference', width: 'auto', numeric: true, text: (r) => numberText(r.mae, r), value: (r) => r.mae },
  { id: 'cosine', label: 'cosine', title: 'cosine similarity of the flattened tensors', width: 'auto', numeric: true, text: (r) => numberText(r.cosine, r), value: (r) => r.cosine },
];

/** text columns sort ascending first, numbers (the differences) descending */
const firstDescending = (c: ColumnDef<Row>): boolean => c.value !== undefined;

registerToolkit();
const root = document.getElementById('root') ?? document.body;
const host = connect(COMPARE, (m) => onNote(m));
let sort: SortState | null = { column: 'max_abs_diff', descending: true };

function onNote(m: HostNote<CompareProtocol>): void {
  if (m.type === 'report') render(m.body.report);
}

function render(d: Report): void {
  clear(root);
  for (const fact of FACTS) {
    const line = fact(d);
    if (line !== null) root.append(h('p', { class: 'muted' }, line));
  }
  root.append(...choiceBox(d));
  for (const s of SECTIONS) {
    const items = s.items(d);
    root.append(h('h3', null, `${s.title} (${items.length})`));
    root.append(items.length ? h('ul', { attrs: { id: `section-${s.id}` } }, ...items.map((i) => h('li', null, i))) : h('p', { class: 'muted' }, '—'));
  }
  const rows: Row[] = d.tensors.map((t, index) => ({ ...t, index }));
  const thead = h('thead');
  const tbody = h('tbody');
  const drawRows = (): void => {
    const c = sort && COLUMNS.find((col) => col.id === sort?.column);
    const sorted = c && sort ? [...rows].sort((x, y) => compareOn(c, x, y, sort!.descending)) : rows;
    tbody.replaceChildren(...sorted.map((r) => h('tr', null, ...COLUMNS.map((col) => cell('td', col, r)))));
    thead.replaceChildren(h('tr', null, ...COLUMNS.map((col) => headerCell('th', col, sort, () => {
      sort = nextSort(sort, col.id, firstDescending(col));
      drawRows();
    }))));
  };
  drawRows();
  root.append(h('h3', null, `Matched tensors (${rows.length})`), h('table', { class: 'compare-table', attrs: { id: 'matched' } }, thead, tbody));
  if (d.provider) root.append(h('p', { class: 'muted' }, `computed on ${d.provider} in ${(d.sessionMs + d.runMs).toFixed(0)} ms`));
}

window.addEventListener('error', (e) => host.note('log', { level: 'error', message: `${e.message} at ${e.filename}:${e.lineno}` }));
host.client.request('getReport', {}).then(render, (e: Error) => {
  clear(root);
  root.append(h('p', { class: 'error' }, `Cannot show the comparison: ${e.message}`));
});
