/**
 * Every message between the extension host and its webviews, declared once each: a request type with its
 * parameters and its reply, or a note (no reply) with its body. The declarations are schemas (schema.ts), so the
 * TypeScript types and the run-time checks at the border come from the same line; channel.ts carries them
 * (requests as promises with `requestId`/`inReplyTo`). A new message is one entry here.
 *   INSPECTOR: the inspector webview (webview/main.ts) ↔ src/extension/inspectorPanel.ts + inspectorController.ts
 *   GRAPH:     the autograd-graph webview (webview/graph/main.ts) ↔ src/extension/debug/graphPanel.ts
 *   COMPARE:   the Compare Checkpoints webview (webview/compare/main.ts) ↔ src/extension/compute/diffPanel.ts
 */
import type { JsonValue, TensorStats } from '../core/model';
import type { AutogradGraph } from '../debug/protocol';
import type { CheckpointDiff } from '../compute/diffValues';
import type { TensorRow } from './rows';
import type { SummaryData } from './summary';
import type { OptimizerMap } from './content';
import type { StrideExplanation } from './explain';
import { tableQuery, type TableItem } from './tableModel';
import { defineProtocol, type FromHost, type FromView } from './channel';
import { arr, bool, hostData, hostJson, nat, nullable, num, obj, oneOf, opt, str, type Infer, type Schema } from './schema';

export type ViewName = 'summary' | 'table' | 'details' | 'content';
export const VIEWS: readonly ViewName[] = ['summary', 'table', 'details', 'content'];

/** What the inspector webview keeps in `vscode.setState` (and the serializer restores). */
export const inspectorState = obj({
  /** the file (a URI string) this panel shows; the serializer reopens it */
  uri: str(),
  view: oneOf(...VIEWS),
  query: tableQuery,
  scrollTop: num(0),
  /** selected tensor name (names survive reloads, indices do not) */
  selected: nullable(str()),
  /** tensor shown in Details */
  details: nullable(str()),
  sliceExpr: str(1000),
});
export type InspectorState = Infer<typeof inspectorState>;

export function isInspectorState(x: unknown): x is InspectorState {
  try { inspectorState.check(x, ''); return true; } catch { return false; }
}

/** a saved state that no longer checks (an older version's) is dropped, not the message carrying it */
const savedState: Schema<InspectorState | null> = { check: (x) => (isInspectorState(x) ? x : null) };

export interface TensorDetails {
  row: TensorRow;
  explanation: StrideExplanation;
  storage: null | { key: string; dtype: string; bytes: number; device: string; where: string; numel: number };
  /** the other tensors sharing the storage (bounded) */
  sharing: Array<{ index: number; name: string; offset: number; shape: number[] }>;
  sharingTotal: number;
  /** statistics computed earlier in this session, if any */
  stats: TensorStats | null;
  /** a slice expression that gives a 2D picture of this tensor (`[0, 0, :, :]` for a conv weight) */
  suggestedSlice: string;
}

export interface SliceValues {
  expr: string;
  /** shape of the selected slice (may be larger than what is shown) */
  shape: number[];
  /** shape of what is shown (bounded) */
  shownShape: number[];
  /** values in row-major order over `shownShape`; NaN/±Inf/complex/bool as text */
  values: Array<number | string>;
  truncated: boolean;
}

export interface FileInfo {
  uri: string;
  path: string;
  name: string;
  format: string;
  /** increases on every re-read of the file */
  generation: number;
}

/** A page of the table, with what the header needs: the columns to show and why the filter matches nothing. */
const tablePage = obj({
  /** the query's `queryKey`: a page for another query is stale */
  queryKey: str(100_000),
  start: nat(),
  total: nat(),
  matched: nat(),
  items: hostData<TableItem[]>('array'),
  /** ids of the columns to show (columns.ts `shownColumns`: optional ones without values are left out) */
  columns: arr(str(100), 1000),
  /** the filter's name pattern is invalid (a bad `re:` expression) */
  filterError: opt(str(1000)),
  /** with `focus` in the request: that tensor's position (-1 when not visible) */
  focusIndex: opt(num()),
});
export type TablePage = Infer<typeof tablePage>;

/**
 * The first page of the table, sent with `init` so the table shows without a round trip; computed for the query
 * the webview last asked for (or the default one). The webview uses it only when its query has the same key.
 */
export type FirstPage = TablePage;

export const INSPECTOR = defineProtocol({
  requests: {
    /** a page of the table for a query; with `focus`, the page around that tensor */
    getPage: {
      params: obj({ query: tableQuery, start: nat(), count: nat(1000), focus: opt(str()) }),
      result: tablePage,
    },
    getDetails: { params: obj({ name: str() }), result: hostData<TensorDetails>() },
    /** statistics of one tensor, with progress */
    computeStats: { params: obj({ name: str() }), result: obj({ name: str(), stats: hostData<TensorStats>() }) },
    /** values of a slice (`[2, :, 0:8]`), bounded to `maxElements` */
    getValues: { params: obj({ name: str(), expr: str(1000), maxElements: nat(1_000_000) }), result: hostData<SliceValues>() },
  },
  fromView: {
    /** the webview (re)started, with the state it restored */
    ready: obj({ state: savedState }),
    copy: obj({ text: str(1_000_000) }),
    command: obj({ command: oneOf('computeAllStats', 'reload') }),
    log: obj({ level: oneOf('info', 'warn', 'error'), message: str(100_000) }),
  },
  toView: {
    loading: obj({ file: str() }),
    /** `defaultGrouped`: the `tensorscope.table.groupByModule` setting, used when the webview has no saved state */
    init: obj({
      file: hostData<FileInfo>(), summary: hostData<SummaryData>(), content: hostJson<JsonValue>(), optimizers: hostData<OptimizerMap[]>('array'),
      tensorCount: nat(), defaultGrouped: bool(), firstPage: opt(tablePage),
    }),
    fatal: obj({ file: str(), message: str(100_000) }),
    /** show this tensor (a hover's or a command's link) */
    reveal: obj({ name: str() }),
    /** `suspicious`: tensors flagged so far (rowStats.ts); the table's statistics columns changed */
    allStats: obj({ done: nat(), total: nat(), finished: bool(), suspicious: opt(nat()) }),
    /** show the table with this filter (`flag:>0` after Compute All Statistics) */
    showTable: obj({ filter: str(1000) }),
  },
});
export type InspectorProtocol = typeof INSPECTOR;
export type InspectorFromView = FromView<InspectorProtocol>;
export type InspectorFromHost = FromHost<InspectorProtocol>;

export const GRAPH = defineProtocol({
  requests: {},
  fromView: {
    ready: obj({}),
    /** the webview drew the graph (node count, ms from message to drawn) */
    rendered: obj({ nodes: nat(), ms: num() }),
    /** save an export: SVG text made by the webview, or DOT made by the extension */
    export: obj({ format: oneOf('svg', 'dot'), content: opt(str(100_000_000)) }),
  },
  toView: {
    /** `collapse`: start with repeated blocks collapsed (default: when the graph has more than 300 nodes) */
    graph: obj({ title: str(), expr: str(), graph: hostData<AutogradGraph>(), collapse: opt(bool()) }),
    error: obj({ message: str(100_000) }),
  },
});
export type GraphProtocol = typeof GRAPH;

export const COMPARE = defineProtocol({
  requests: {
    /** the comparison the panel was opened for */
    getReport: { params: obj({}), result: hostData<CheckpointDiff>() },
  },
  fromView: {
    /** the user asks to pick the state dict inside each file and the prefixes to remove */
    choose: obj({}),
    log: obj({ level: oneOf('info', 'warn', 'error'), message: str(100_000) }),
  },
  toView: {
    /** a new report for the open panel (the comparison was run again) */
    report: obj({ report: hostData<CheckpointDiff>() }),
  },
});
export type CompareProtocol = typeof COMPARE;

export const PAGE_SIZE = 200;
/** the most values a slice request may return to the webview */
export const MAX_SLICE_ELEMENTS = 4096;
