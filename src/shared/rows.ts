/**
 * The table's row: everything the inspector shows about one tensor, as plain JSON (no bytes, no handles).
 * Built on the host from the core model and sent to the webview in pages.
 */
import type { TensorInfo } from '../core/model';
import { dtypeInfo } from '../core/dtype';
import { layoutKind, numelOf, type LayoutKind } from '../core/layout';
import type { RowStats } from './rowStats';

export interface TensorRow {
  /** index into `Checkpoint.tensors` (stable for one load of the file) */
  index: number;
  name: string;
  /** what the table shows instead of the name: optimizer state by parameter (`optimizer.state[fc.weight].exp_avg`) */
  alias?: string;
  dtype: string;
  shape: number[];
  stride: number[];
  offset: number;
  /** what the Layout column shows and `layout:` filters on (core/layout.ts `layoutKind`) */
  layoutKind: LayoutKind;
  /** `strided` or a sparse layout */
  layout: string;
  device: string;
  numel: number;
  /** bytes of this tensor's own elements (numel × element size) */
  bytes: number;
  requiresGrad: boolean;
  /** storage key, null for sparse tensors / tensors without storage */
  storageKey: string | null;
  /** how many tensors of the checkpoint share this tensor's storage (1 = not shared) */
  storageShared: number;
  /** numpy dtype name for numpy arrays */
  numpyDtype?: string;
  /** quantization scheme, for quantized tensors */
  quant?: string;
  /** statistics, once computed (Compute All Statistics, or the Details view) */
  stats?: RowStats;
}

function elementBytes(dtype: TensorInfo['dtype']): number {
  try { return dtypeInfo(dtype).itemSize; } catch { return 0; }
}

/** Rows for every tensor of a checkpoint, with storage-sharing counts; `aliases` name → display name. */
export function buildRows(tensors: readonly TensorInfo[], aliases?: ReadonlyMap<string, string>): TensorRow[] {
  const sharing = new Map<string, number>();
  for (const t of tensors) if (t.storage) sharing.set(t.storage.key, (sharing.get(t.storage.key) ?? 0) + 1);
  return tensors.map((t, index) => {
    const numel = numelOf(t.shape);
    const row: TensorRow = {
      index,
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      stride: [...t.stride],
      offset: t.storageOffset,
      layoutKind: layoutKind(t.shape, t.stride, t.layout),
      layout: t.layout,
      device: t.device,
      numel,
      bytes: numel * elementBytes(t.dtype),
      requiresGrad: t.requiresGrad,
      storageKey: t.storage ? t.storage.key : null,
      storageShared: t.storage ? sharing.get(t.storage.key) ?? 1 : 0,
    };
    if (t.numpy && t.numpyDtype) row.numpyDtype = t.numpyDtype;
    if (t.quant) row.quant = t.quant.scheme;
    const alias = aliases?.get(t.name);
    if (alias !== undefined) row.alias = alias;
    return row;
  });
}

/** `[3, 4]` as torch prints it: `(3, 4)`; a 0-d tensor is `()`, 1-d `(5,)`. */
export function formatShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** 11,689,512 → `11.7M`; small numbers stay exact */
export function formatCount(n: number): string {
  if (n < 10_000) return String(n);
  const units: Array<[number, string]> = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, suffix] of units) {
    if (n >= scale) {
      const v = n / scale;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${suffix}`;
    }
  }
  return String(n);
}
