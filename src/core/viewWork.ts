/**
 * Work over many tensors that are views of the same stored bytes (tied weights, 300k names over one storage,
 * npz members sharing one zip entry, overlapping windows): identical views are computed once, and the rest
 * of the reading is bounded by the bytes the file actually stores, not by what the views claim.
 *
 *   viewIdentity(tensor)     the same string for the same elements of the same bytes
 *   viewWithinSource(tensor) the same, between views of one byte source
 *   new ViewWork(tensors)    runs work per view (or pair of views) once, within the bound
 */
import type { ByteSource, TensorInfo } from './model';
import { dtypeInfo } from './dtype';

const ids = new WeakMap<ByteSource, number>();
let nextId = 1;

/** A number per byte source object, for keys: two tensors with the same source read the same bytes. */
function sourceId(source: ByteSource | null | undefined): number {
  if (!source) return 0;
  let id = ids.get(source);
  if (id === undefined) { id = nextId++; ids.set(source, id); }
  return id;
}

/**
 * Storages with one byte source are the same bytes, whatever their keys (npz members listed twice over one
 * entry): the source object itself, no text and no number for it (a million storages would cost both).
 */
function storageOf(t: TensorInfo): object | string | undefined {
  if (!t.storage) return undefined;
  return t.storage.source ?? `key ${t.storage.key}`;
}

function storageIdentity(t: TensorInfo): string | undefined {
  if (!t.storage) return undefined;
  return t.storage.source ? `#${sourceId(t.storage.source)}` : `key ${t.storage.key}`;
}

/** The same string for two views of one byte source exactly when they are the same elements. */
export function viewWithinSource(t: TensorInfo): string {
  return `${t.dtype}|${t.storage?.byteOrder}|${t.layout}|${t.storageOffset}|${t.shape.join(',')}|${t.stride.join(',')}|${t.quant ? JSON.stringify(t.quant) : ''}`;
}

/** The same string for two tensors exactly when they are the same elements of the same stored bytes. */
export function viewIdentity(t: TensorInfo): string {
  return `${storageIdentity(t)}|${viewWithinSource(t)}`;
}

/** Bytes a view reads: its elements without broadcast (stride-0) dimensions, which repeat the same bytes. */
export function viewReadBytes(t: TensorInfo): number {
  let n = 1;
  t.shape.forEach((d, i) => { if (t.layout !== 'strided' || t.stride[i] !== 0) n *= d; });
  return n * dtypeInfo(t.dtype).itemSize;
}

export interface BoundOptions {
  /** how many times over the stored bytes may be read (default 16) */
  factor?: number;
  /** bytes always allowed, however small the storages (default 256 MiB) */
  floor?: number;
}

/** Work that was not done: past the bound. */
export interface Skipped {
  skipped: string;
}

export function isSkipped(v: unknown): v is Skipped {
  return typeof v === 'object' && v !== null && typeof (v as Skipped).skipped === 'string';
}

/**
 * Runs work per view (or per pair of views, for a diff) of the given tensors:
 * - views of a storage that several tensors share are keyed by identity, so an identical view (tied weights,
 *   300k names for one view) is computed once and its result reused;
 * - the bytes read stay within `factor` × the bytes of the distinct storages (+ `floor`). Real checkpoints
 *   never come near it: views of one storage that do not overlap read it at most once over. Past the bound,
 *   the work is not run and `Skipped` says why.
 * Results are kept only for views of shared storages, so a file of a million distinct tensors keeps none.
 */
export class ViewWork {
  readonly limit: number;
  private used = 0;
  private readonly shared = new Set<object | string>();
  private readonly results = new Map<string, Promise<unknown>>();

  constructor(tensors: Iterable<TensorInfo>, options: BoundOptions = {}) {
    const seen = new Set<object | string>();
    let total = 0;
    for (const t of tensors) {
      const id = storageOf(t);
      if (id === undefined || !t.storage) continue;
      if (seen.has(id)) this.shared.add(id);
      else { seen.add(id); total += t.storage.bytes; }
    }
    this.limit = (options.factor ?? 16) * total + (options.floor ?? 2 ** 28);
  }

  run<T>(views: readonly TensorInfo[], work: () => Promise<T>): Promise<T | Skipped> {
    const key = views.some((v) => { const id = storageOf(v); return id !== undefined && this.shared.has(id); }) ? views.map(viewIdentity).join('\u0000') : undefined;
    const known = key === undefined ? undefined : this.results.get(key);
    if (known) return known as Promise<T | Skipped>;
    let bytes = 0;
    for (const v of views) bytes += viewReadBytes(v);
    if (this.used + bytes > this.limit) {
      return Promise.resolve({ skipped: `not computed: overlapping views have re-read their storages past ${Math.round(this.limit / 2 ** 20)} MiB, the bound for this file` });
    }
    this.used += bytes;
    const p = work();
    if (key !== undefined) {
      this.results.set(key, p);
      // a failure is not remembered: another name for the view tries again
      p.catch(() => this.results.delete(key));
    }
    return p;
  }
}
