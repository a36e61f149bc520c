/**
 * The ONE message protocol between the extension host and the inspector webview. Both sides import it.
 * Every message the host receives passes `parseWebviewMessage` (the webview is a less trusted context) and
 * every message the webview receives passes `parseHostMessage`; anything malformed is dropped.
 */
import type { JsonValue, TensorStats } from '../core/model';
import type { TensorRow } from './rows';
import type { SummaryData } from './summary';
import type { OptimizerMap } from './content';
import type { StrideExplanation } from './explain';
import type { TableItem, TableQuery } from './tableModel';
import { isColumnId } from './columns';

export type ViewName = 'summary' | 'table' | 'details' | 'content';
export const VIEWS: readonly ViewName[] = ['summary', 'table', 'details', 'content'];

/** What the webview keeps in `vscode.setState` (and the serializer restores). */
export interface InspectorState {
  /** the file (a URI string) this panel shows; the serializer reopens it */
  uri: string;
  view: ViewName;
  query: TableQuery;
  scrollTop: number;
  /** selected tensor name (names survive reloads, indices do not) */
  selected: string | null;
  /** tensor shown in Details */
  details: string | null;
  sliceExpr: string;
}

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

/**
 * The first page of the table, sent with `init` so the table shows without a round trip; computed for the query
 * the webview last asked for (or the default one). The webview uses it only when its query has the same key.
 */
export interface FirstPage extends TablePage {
  queryKey: string;
}

/** A page of the table, with what the header needs: the columns to show and why the filter matches nothing. */
export interface TablePage {
  start: number;
  total: number;
  matched: number;
  items: TableItem[];
  /** ids of the columns to show (columns.ts `shownColumns`: optional ones without values are left out) */
  columns: string[];
  /** the filter's name pattern is invalid (a bad `re:` expression) */
  filterError?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// webview → host

export type WebviewMessage =
  | { type: 'ready'; state: InspectorState | null }
  | { type: 'getPage'; requestId: number; query: TableQuery; start: number; count: number; focus?: string }
  | { type: 'getDetails'; requestId: number; name: string }
  | { type: 'computeStats'; requestId: number; name: string }
  | { type: 'getValues'; requestId: number; name: string; expr: string; maxElements: number }
  | { type: 'cancel'; requestId: number }
  | { type: 'copy'; text: string }
  | { type: 'command'; command: 'computeAllStats' | 'reload' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

// ---------------------------------------------------------------------------------------------------------------
// host → webview

export type HostMessage =
  | { type: 'loading'; file: string }
  /** `defaultGrouped`: the `tensorscope.table.groupByModule` setting, used when the webview has no saved state */
  | { type: 'init'; file: FileInfo; summary: SummaryData; content: JsonValue; optimizers: OptimizerMap[]; tensorCount: number; defaultGrouped: boolean; firstPage?: FirstPage }
  | { type: 'fatal'; file: string; message: string }
  /** with `focus` in the request: the page around that tensor, and its position (-1 when not visible) */
  | ({ type: 'page'; requestId: number; queryKey: string; focusIndex?: number } & TablePage)
  | { type: 'details'; requestId: number; details: TensorDetails }
  | { type: 'statsProgress'; requestId: number; fraction: number }
  | { type: 'stats'; requestId: number; name: string; stats: TensorStats }
  | { type: 'values'; requestId: number; values: SliceValues }
  | { type: 'error'; requestId: number; message: string }
  | { type: 'reveal'; name: string }
  /** `suspicious`: tensors flagged so far (rowStats.ts); the table's statistics columns changed */
  | { type: 'allStats'; done: number; total: number; finished: boolean; suspicious?: number }
  /** show the table with this filter (`flag:>0` after Compute All Statistics) */
  | { type: 'showTable'; filter: string };

// ---------------------------------------------------------------------------------------------------------------
// validation (hand-written narrowing: no `any`, no trust)

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isNat = (x: unknown): x is number => isInt(x) && x >= 0;
const isStr = (x: unknown, max = 10_000): x is string => typeof x === 'string' && x.length <= max;
const isNumArray = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === 'number');

export function isTableQuery(x: unknown): x is TableQuery {
  if (!isObj(x)) return false;
  if (!isStr(x.filter, 1000) || typeof x.grouped !== 'boolean') return false;
  if (!Array.isArray(x.collapsed) || !x.collapsed.every((c) => isStr(c, 10_000)) || x.collapsed.length > 100_000) return false;
  if (x.sort !== null) {
    if (!isObj(x.sort) || !isColumnId(x.sort.column) || typeof x.sort.descending !== 'boolean') return false;
  }
  return true;
}

export function isInspectorState(x: unknown): x is InspectorState {
  if (!isObj(x)) return false;
  return isStr(x.uri) && typeof x.view === 'string' && (VIEWS as readonly string[]).includes(x.view)
    && isTableQuery(x.query) && typeof x.scrollTop === 'number' && x.scrollTop >= 0
    && (x.selected === null || isStr(x.selected)) && (x.details === null || isStr(x.details)) && isStr(x.sliceExpr, 1000);
}

/** Narrow an untrusted message from the webview; null when it is not a valid `WebviewMessage`. */
export function parseWebviewMessage(x: unknown): WebviewMessage | null {
  if (!isObj(x) || typeof x.type !== 'string') return null;
  switch (x.type) {
    case 'ready':
      return x.state === null || x.state === undefined ? { type: 'ready', state: null } : isInspectorState(x.state) ? { type: 'ready', state: x.state } : { type: 'ready', state: null };
    case 'getPage':
      if (!(isNat(x.requestId) && isTableQuery(x.query) && isNat(x.start) && isNat(x.count) && x.count <= 1000)) return null;
      if (x.focus !== undefined && !isStr(x.focus)) return null;
      return x.focus === undefined
        ? { type: 'getPage', requestId: x.requestId, query: x.query, start: x.start, count: x.count }
        : { type: 'getPage', requestId: x.requestId, query: x.query, start: x.start, count: x.count, focus: x.focus };
    case 'getDetails':
    case 'computeStats':
      return isNat(x.requestId) && isStr(x.name) ? { type: x.type, requestId: x.requestId, name: x.name } : null;
    case 'getValues':
      return isNat(x.requestId) && isStr(x.name) && isStr(x.expr, 1000) && isNat(x.maxElements) && x.maxElements <= 1_000_000
        ? { type: 'getValues', requestId: x.requestId, name: x.name, expr: x.expr, maxElements: x.maxElements } : null;
    case 'cancel':
      return isNat(x.requestId) ? { type: 'cancel', requestId: x.requestId } : null;
    case 'copy':
      return isStr(x.text, 1_000_000) ? { type: 'copy', text: x.text } : null;
    case 'command':
      return x.command === 'computeAllStats' || x.command === 'reload' ? { type: 'command', command: x.command } : null;
    case 'log':
      return (x.level === 'info' || x.level === 'warn' || x.level === 'error') && isStr(x.message, 100_000)
        ? { type: 'log', level: x.level, message: x.message } : null;
    default:
      return null;
  }
}

/** Narrow a message from the host (shallow: the host is trusted, but a stray message must not crash the view). */
export function parseHostMessage(x: unknown): HostMessage | null {
  if (!isObj(x) || typeof x.type !== 'string') return null;
  switch (x.type) {
    case 'loading': return isStr(x.file) ? (x as unknown as HostMessage) : null;
    case 'init': return isObj(x.file) && isObj(x.summary) && 'content' in x && Array.isArray(x.optimizers) && isNat(x.tensorCount) ? (x as unknown as HostMessage) : null;
    case 'fatal': return isStr(x.message) ? (x as unknown as HostMessage) : null;
    case 'page': return isNat(x.requestId) && isStr(x.queryKey) && isNat(x.start) && isNat(x.total) && Array.isArray(x.items) && Array.isArray(x.columns) ? (x as unknown as HostMessage) : null;
    case 'details': return isNat(x.requestId) && isObj(x.details) ? (x as unknown as HostMessage) : null;
    case 'statsProgress': return isNat(x.requestId) && typeof x.fraction === 'number' ? (x as unknown as HostMessage) : null;
    case 'stats': return isNat(x.requestId) && isStr(x.name) && isObj(x.stats) ? (x as unknown as HostMessage) : null;
    case 'values': return isNat(x.requestId) && isObj(x.values) && isNumArray((x.values as Obj).shape) ? (x as unknown as HostMessage) : null;
    case 'error': return isNat(x.requestId) && isStr(x.message) ? (x as unknown as HostMessage) : null;
    case 'reveal': return isStr(x.name) ? (x as unknown as HostMessage) : null;
    case 'allStats': return isNat(x.done) && isNat(x.total) && typeof x.finished === 'boolean' && (x.suspicious === undefined || isNat(x.suspicious)) ? (x as unknown as HostMessage) : null;
    case 'showTable': return isStr(x.filter) ? (x as unknown as HostMessage) : null;
    default: return null;
  }
}

export const PAGE_SIZE = 200;
/** the most values a slice request may return to the webview */
export const MAX_SLICE_ELEMENTS = 4096;
