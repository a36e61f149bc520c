/**
 * One inspector's logic, free of the `vscode` API so it runs in unit tests: loads a checkpoint (from a path or
 * in memory), answers the webview's requests (pages of rows, details, statistics, slices) and re-reads on demand.
 * The VS Code side (inspectorPanel.ts) only moves messages and owns the webview.
 */
import { ViewWork, isSkipped } from '../core/viewWork';
import type { Checkpoint, TensorInfo, TensorStats } from '../core/model';
import { parseSlice, sliceView } from '../core/slice';
import { buildRows, type TensorRow } from '../shared/rows';
import { numelOf } from '../core/layout';
import { computeSummary } from '../shared/summary';
import { boundContent, mapOptimizerParams, optimizerAliases, type OptimizerMap } from '../shared/content';
import { explainStrides } from '../shared/explain';
import { pageOf, queryKey, rowFilter, visibleItems, type TableItem, type TableQuery } from '../shared/tableModel';
import { shownColumns } from '../shared/columns';
import { rowStatsOf } from '../shared/rowStats';
import { INSPECTOR, PAGE_SIZE, type FirstPage, type InspectorFromHost, type InspectorProtocol, type SliceValues, type TablePage, type TensorDetails } from '../shared/protocol';
import { hostNote, RequestServer, type Handlers, type RequestMessage } from '../shared/channel';
import { aboutSubject, errorMessage } from '../core/errors';
import { dtypeInfo } from '../core/dtype';

/** The core functions the inspector needs (injected: the real ones in core.ts, fakes in tests). */
export interface CoreApi {
  open(path: string, signal: AbortSignal): Promise<Checkpoint>;
  stats(tensor: TensorInfo, options: { signal: AbortSignal; onProgress?: (fraction: number) => void }): Promise<TensorStats>;
  slice(tensor: TensorInfo, expr: string, maxElements: number, signal: AbortSignal): Promise<{ shape: number[]; values: Float64Array; truncated: boolean; total: number }>;
}

export type InspectorSource =
  | { kind: 'file'; path: string; uri: string }
  | { kind: 'memory'; checkpoint: Checkpoint; uri: string; title: string };

export interface ControllerOptions {
  maxSliceElements: number;
  /** group the table by module prefix when the webview has no saved state (default true) */
  groupByModule?: boolean;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** the largest heatmap side: a slice is narrowed to at most this many rows and columns */
export const MAX_SIDE = 256;

export class InspectorController {
  checkpoint: Checkpoint | null = null;
  rows: TensorRow[] = [];
  /** optimizer state ids mapped to parameters, per optimizer of the file (Content view, table names) */
  optimizers: OptimizerMap[] = [];
  generation = 0;
  private byName = new Map<string, number>();
  private cache: { key: string; items: TableItem[]; matched: number; filterError?: string } | null = null;
  /** the columns the table shows (optional ones appear once a row has a value) */
  private columns: string[] = [];
  private statsCache = new Map<string, TensorStats>();
  private loadAbort: AbortController | null = null;
  /** the query of the webview's latest page request (for the first page sent with `init`) */
  private lastQuery: TableQuery | null = null;
  private disposed = false;

  /** answers the webview's requests (src/shared/protocol.ts INSPECTOR): one reply or error each, cancellable */
  readonly server: RequestServer<InspectorProtocol>;

  constructor(readonly source: InspectorSource, private readonly core: CoreApi, private readonly post: (m: InspectorFromHost) => void, private readonly options: ControllerOptions) {
    this.server = new RequestServer<InspectorProtocol>(this.handlers(), post, errorMessage);
  }

  get path(): string {
    return this.source.kind === 'file' ? this.source.path : this.source.checkpoint.path;
  }

  get displayName(): string {
    if (this.source.kind === 'memory') return this.source.title;
    return this.path.split(/[\\/]/).filter(Boolean).pop() ?? this.path;
  }

  /** Load (or re-load) the checkpoint and send `init`. Errors become a `fatal` message, never a throw. */
  async load(): Promise<boolean> {
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.post(hostNote(INSPECTOR, 'loading', { file: this.displayName }));
    const t0 = Date.now();
    let cp: Checkpoint;
    try {
      cp = this.source.kind === 'file' ? await this.core.open(this.source.path, abort.signal) : this.source.checkpoint;
    } catch (e) {
      if (abort.signal.aborted || this.disposed) return false;
      const message = errorMessage(e);
      this.options.log?.('error', aboutSubject(this.path, message));
      this.post(hostNote(INSPECTOR, 'fatal', { file: this.displayName, message }));
      return false;
    }
    if (abort.signal.aborted || this.disposed) {
      if (this.source.kind === 'file') await cp.close().catch(() => undefined);
      return false;
    }
    const old = this.checkpoint;
    this.checkpoint = cp;
    this.optimizers = mapOptimizerParams(cp.content, cp.tensors);
    this.rows = buildRows(cp.tensors, optimizerAliases(this.optimizers, cp.tensors.map((t) => t.name)));
    this.byName = new Map(this.rows.map((r) => [r.name, r.index]));
    this.rowsChanged();
    this.statsCache.clear();
    this.generation++;
    if (old && old !== cp && this.source.kind === 'file') await old.close().catch(() => undefined);
    this.sendInit();
    this.options.log?.('info', `opened ${this.path}: ${cp.format}, ${cp.tensors.length} tensors in ${Date.now() - t0} ms`);
    return true;
  }

  /** After `rows` change (a load, values filled in for optional columns): drop cached pages, recount the columns. */
  rowsChanged(): void {
    this.cache = null;
    this.columns = shownColumns(this.rows);
  }

  /** (Re-)send the loaded checkpoint's summary to the webview (after a reload of the webview itself). */
  sendInit(): void {
    const cp = this.checkpoint;
    if (!cp) return;
    const summary = computeSummary(cp);
    this.post(hostNote(INSPECTOR, 'init', {
      file: { uri: this.source.uri, path: this.path, name: this.displayName, format: cp.format, generation: this.generation },
      summary,
      content: boundContent(cp.content),
      optimizers: this.optimizers,
      tensorCount: cp.tensors.length,
      defaultGrouped: this.options.groupByModule ?? true,
      firstPage: this.firstPage(),
    }));
  }

  private firstPage(): FirstPage {
    const query = this.lastQuery ?? { filter: '', sort: null, grouped: this.options.groupByModule ?? true, collapsed: [] };
    return this.page(query, 0, PAGE_SIZE);
  }

  tensor(name: string): TensorInfo | undefined {
    const i = this.byName.get(name);
    return i === undefined || !this.checkpoint ? undefined : this.checkpoint.tensors[i];
  }

  items(query: TableQuery): { key: string; items: TableItem[]; matched: number; filterError?: string } {
    const key = queryKey(query);
    if (!this.cache || this.cache.key !== key) {
      const filterError = rowFilter(query.filter).error;
      const items = visibleItems(this.rows, query);
      let matched = 0;
      for (const it of items) if (it.kind === 'tensor') matched++;
      // collapsed groups hide tensors that still match
      for (const it of items) if (it.kind === 'group' && it.collapsed) matched += it.count;
      this.cache = filterError ? { key, items, matched, filterError } : { key, items, matched };
    }
    return this.cache;
  }

  /** A page of the table for a query; with `focus`, the page holding that tensor and its position (-1: not shown). */
  page(query: TableQuery, start: number, count: number, focus?: string): TablePage {
    this.lastQuery = query;
    const { key, items, matched, filterError } = this.items(query);
    const common = { queryKey: key, matched, columns: this.columns, ...(filterError ? { filterError } : {}) };
    if (focus === undefined) return { ...common, ...pageOf(items, start, count) };
    const focusIndex = items.findIndex((it) => it.kind === 'tensor' && it.row.name === focus);
    const at = focusIndex < 0 ? start : Math.floor(focusIndex / Math.max(count, 1)) * count;
    return { ...common, ...pageOf(items, at, count), focusIndex };
  }

  /** A request or a cancel from the webview, already checked against the protocol. */
  receive(m: RequestMessage<InspectorProtocol> | { kind: 'cancel'; inReplyTo: number }): Promise<void> {
    return this.server.handle(m);
  }

  private handlers(): Handlers<InspectorProtocol> {
    return {
      getPage: ({ query, start, count, focus }) => this.page(query, start, count, focus),
      getDetails: ({ name }) => {
        const d = this.details(name);
        if (!d) throw new Error(`no tensor named ${name}`);
        return d;
      },
      computeStats: ({ name }, { signal, progress }) => this.stats(name, signal, progress),
      getValues: ({ name, expr, maxElements }, { signal }) => this.values(name, expr, Math.min(maxElements, this.options.maxSliceElements), signal),
    };
  }

  details(name: string): TensorDetails | null {
    const t = this.tensor(name);
    const idx = this.byName.get(name);
    if (!t || idx === undefined) return null;
    const row = this.rows[idx];
    let itemSize = 0;
    try { itemSize = dtypeInfo(t.dtype).itemSize; } catch { /* unknown dtype */ }
    const storageNumel = t.storage && itemSize ? Math.floor(t.storage.bytes / itemSize) : null;
    const sharing: TensorDetails['sharing'] = [];
    let sharingTotal = 0;
    if (t.storage) {
      for (const r of this.rows) {
        if (r.storageKey === t.storage.key && r.index !== idx) {
          sharingTotal++;
          if (sharing.length < 200) sharing.push({ index: r.index, name: r.name, offset: r.offset, shape: r.shape });
        }
      }
    }
    return {
      row,
      explanation: explainStrides(t.shape, t.stride, t.storageOffset, storageNumel, t.layout),
      storage: t.storage ? { key: t.storage.key, dtype: t.storage.dtype, bytes: t.storage.bytes, device: t.storage.device, where: t.storage.source?.describe() ?? '(no bytes in the file)', numel: storageNumel ?? 0 } : null,
      sharing,
      sharingTotal,
      stats: this.statsCache.get(name) ?? null,
      suggestedSlice: suggestSlice(t.shape),
    };
  }

  private async stats(name: string, signal: AbortSignal, onProgress: (fraction: number) => void): Promise<{ name: string; stats: TensorStats }> {
    const t = this.tensor(name);
    if (!t) throw new Error(`no tensor named ${name}`);
    const cached = this.statsCache.get(name);
    if (cached) return { name, stats: cached };
    const generation = this.generation;
    const stats = await this.core.stats(t, { signal, onProgress });
    // a re-read of the file since: these belong to the old tensor
    if (generation === this.generation) {
      this.statsCache.set(name, stats);
      this.setRowStats(name, stats);
    }
    return { name, stats };
  }

  /** Fill a row's statistics columns (rowStats.ts); the table shows them from its next page on. */
  private setRowStats(name: string, stats: TensorStats): void {
    const i = this.byName.get(name);
    const row = i === undefined ? undefined : this.rows[i];
    if (!row) return;
    row.stats = rowStatsOf(stats, row.dtype);
    // a sort or filter on a statistic must be recomputed; a column shows once some row has a value in it
    this.cache = null;
    if (shownColumns([row]).some((c) => !this.columns.includes(c))) this.rowsChanged();
  }

  /** Tensors flagged suspicious (rowStats.ts), in file order. */
  suspicious(): string[] {
    return this.rows.filter((r) => r.stats && r.stats.flags.length > 0).map((r) => r.name);
  }

  /** statistics of every tensor in turn (cancellable); `onProgress(done, total)` after each */
  async computeAllStats(signal: AbortSignal, onProgress: (done: number, total: number, name: string) => void): Promise<{ done: number; withNonFinite: string[] }> {
    const cp = this.checkpoint;
    if (!cp) return { done: 0, withNonFinite: [] };
    const withNonFinite: string[] = [];
    let done = 0;
    // identical views once, the reading bounded by the stored bytes (hostile files: 300k names over one storage)
    const work = new ViewWork(cp.tensors);
    for (const t of cp.tensors) {
      if (signal.aborted) break;
      let s = this.statsCache.get(t.name);
      if (!s && t.storage && t.layout === 'strided') {
        try {
          const r = await work.run([t], () => this.core.stats(t, { signal }));
          if (isSkipped(r)) throw new Error(r.skipped);
          s = r;
          this.statsCache.set(t.name, s);
          this.setRowStats(t.name, s);
        } catch (e) {
          if (signal.aborted) break;
          this.options.log?.('warn', `statistics of ${t.name}: ${errorMessage(e)}`);
        }
      }
      if (s && (s.nan > 0 || s.inf > 0)) withNonFinite.push(t.name);
      done++;
      onProgress(done, cp.tensors.length, t.name);
    }
    return { done, withNonFinite };
  }

  private async values(name: string, expr: string, maxElements: number, signal: AbortSignal): Promise<SliceValues> {
    const t = this.tensor(name);
    if (!t) throw new Error(`no tensor named ${name}`);
    if (t.layout !== 'strided' || !t.storage) throw new Error(`${name} has no strided storage to read values from`);
    const parsed = parseSlice(expr, t.shape);
    const view = sliceView(parsed, t.stride, t.storageOffset);
    const shown = narrowShape(view.shape, maxElements);
    const narrow: TensorInfo = { ...t, shape: shown, stride: view.stride, storageOffset: view.storageOffset, contiguous: false };
    const r = await this.core.slice(narrow, '', maxElements, signal);
    const complex = r.shape.length === shown.length + 1;
    const values: Array<number | string> = [];
    if (complex) {
      for (let i = 0; i + 1 < r.values.length; i += 2) values.push(complexText(r.values[i], r.values[i + 1]));
    } else {
      for (const v of r.values) values.push(Number.isFinite(v) ? v : String(v));
    }
    return { expr: parsed.normalized, shape: view.shape, shownShape: shown, values, truncated: numelOf(shown) < numelOf(view.shape) };
  }

  cancelAll(): void {
    this.server.cancelAll();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.loadAbort?.abort();
    this.cancelAll();
    if (this.checkpoint && this.source.kind === 'file') await this.checkpoint.close().catch(() => undefined);
    this.checkpoint = null;
  }
}

function complexText(re: number, im: number): string {
  const r = Number.isFinite(re) ? +re.toPrecision(6) : String(re);
  const i = Number.isFinite(im) ? +Math.abs(im).toPrecision(6) : String(Math.abs(im));
  return `${r}${im < 0 || Object.is(im, -0) ? '-' : '+'}${i}j`;
}

/**
 * Bound a selection for display: the last two dimensions keep up to MAX_SIDE entries each (fewer when the
 * element budget is smaller), leading dimensions keep their first index only.
 */
export function narrowShape(shape: readonly number[], maxElements: number): number[] {
  if (numelOf(shape) <= maxElements) return [...shape];
  const out = [...shape];
  for (let d = 0; d < out.length - 2; d++) out[d] = Math.min(out[d], 1);
  if (out.length === 1) { out[0] = Math.min(out[0], maxElements); return out; }
  const n = out.length;
  let cols = Math.min(out[n - 1], MAX_SIDE, maxElements);
  let rows = Math.min(out[n - 2], MAX_SIDE, Math.max(1, Math.floor(maxElements / Math.max(cols, 1))));
  if (rows * cols > maxElements) cols = Math.max(1, Math.floor(maxElements / rows));
  out[n - 1] = cols;
  out[n - 2] = rows;
  return out;
}

/**
 * A slice that gives a 2D picture: the two largest dimensions whole, the others at 0 — the pair whose smaller
 * side is longest, later dimensions on a tie: `[0, 0, :, :]` for a (64, 3, 7, 7) conv weight (its 7×7 kernel),
 * `[:, :, 0, 0]` for a (128, 64, 1, 1) one (not one element).
 */
export function suggestSlice(shape: readonly number[]): string {
  if (shape.length <= 2) return `[${shape.map(() => ':').join(', ')}]`;
  let best: [number, number] = [shape.length - 2, shape.length - 1];
  let bestSide = Math.min(shape[best[0]], shape[best[1]]);
  for (let i = shape.length - 2; i >= 0; i--) {
    for (let j = shape.length - 1; j > i; j--) {
      const side = Math.min(shape[i], shape[j]);
      if (side > bestSide) { best = [i, j]; bestSide = side; }
    }
  }
  return `[${shape.map((_, i) => (best.includes(i) ? ':' : '0')).join(', ')}]`;
}
