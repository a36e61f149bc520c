/**
 * The Summary view's facts, computed once per load from the core model: counts, bytes by dtype and device,
 * producer, and the warnings a PyTorch user wants before `torch.load` (unsafe globals, `module.` prefixes,
 * CUDA storages, bytes wasted by views saved without `.clone()`).
 */
import type { Checkpoint, TensorInfo } from '../core/model';
import { dtypeInfo } from '../core/dtype';
import { storageExtent } from '../core/layout';
import { numelOf } from '../core/layout';

export interface SummaryWarning {
  kind: 'unsafe-globals' | 'module-prefix' | 'cuda' | 'wasted-bytes' | 'reader';
  text: string;
  /** tensor names the warning concerns (bounded), for links */
  tensors?: string[];
}

export interface SummaryData {
  path: string;
  fileName: string;
  format: string;
  producer: string | null;
  tensorCount: number;
  storageCount: number;
  /** elements of all tensors */
  elementCount: number;
  /** elements of tensors that look like model parameters (not optimizer state, not BN statistics) */
  parameterCount: number;
  /** bytes of the storages in the file */
  storageBytes: number;
  byDtype: Array<{ key: string; tensors: number; bytes: number }>;
  byDevice: Array<{ key: string; tensors: number; bytes: number }>;
  warnings: SummaryWarning[];
  globals: Array<{ name: string; count: number; unsafe: boolean }>;
  meta: Array<[string, string]>;
}

const OPTIMIZER_SEGMENT = /^(optimizer|optimizers|optimizer_states|optim|optimizer_state_dict|opt|scheduler|lr_scheduler|lr_schedulers)$/;
const BUFFER_LEAF = /^(running_mean|running_var|num_batches_tracked)$/;

/** Heuristic: a tensor is a model parameter unless it sits under an optimizer/scheduler section or is a BN statistic. */
export function looksLikeParameter(t: Pick<TensorInfo, 'name' | 'dtype' | 'isParameter'>): boolean {
  if (t.isParameter !== undefined) return t.isParameter;
  const parts = t.name.split('.');
  if (parts.some((p) => OPTIMIZER_SEGMENT.test(p))) return false;
  if (BUFFER_LEAF.test(parts[parts.length - 1])) return false;
  return true;
}

function itemSize(t: TensorInfo): number {
  try { return dtypeInfo(t.dtype).itemSize; } catch { return 0; }
}

export function computeSummary(cp: Checkpoint): SummaryData {
  const storages = new Map<string, { bytes: number; dtype: string; device: string; users: TensorInfo[] }>();
  let elementCount = 0;
  let parameterCount = 0;
  for (const t of cp.tensors) {
    const n = numelOf(t.shape);
    elementCount += n;
    if (looksLikeParameter(t)) parameterCount += n;
    if (t.storage) {
      const s = storages.get(t.storage.key);
      if (s) s.users.push(t);
      else storages.set(t.storage.key, { bytes: t.storage.bytes, dtype: t.storage.dtype, device: t.storage.device, users: [t] });
    }
  }
  const tally = (keyOf: (s: { dtype: string; device: string }) => string) => {
    const m = new Map<string, { tensors: number; bytes: number }>();
    for (const s of storages.values()) {
      const k = keyOf(s);
      const e = m.get(k) ?? { tensors: 0, bytes: 0 };
      e.tensors += s.users.length;
      e.bytes += s.bytes;
      m.set(k, e);
    }
    return [...m.entries()].map(([key, v]) => ({ key, ...v })).sort((a, b) => b.bytes - a.bytes);
  };
  let storageBytes = 0;
  for (const s of storages.values()) storageBytes += s.bytes;

  const warnings: SummaryWarning[] = [];
  const unsafe = cp.globals.filter((g) => g.unsafe);
  // the reader's own weights_only note is said again, with advice, by the unsafe-globals warning below
  for (const w of cp.warnings) if (!(unsafe.length && /weights_only/.test(w))) warnings.push({ kind: 'reader', text: w });
  if (unsafe.length) {
    warnings.push({ kind: 'unsafe-globals', text: `torch.load(weights_only=True) would refuse this file: it uses ${unsafe.length} global${unsafe.length > 1 ? 's' : ''} outside the safe list (${unsafe.slice(0, 6).map((g) => g.name).join(', ')}${unsafe.length > 6 ? ', …' : ''}). Tensorscope never runs them; loading with weights_only=False in Python would.` });
  }
  const prefixed = cp.tensors.filter((t) => /(^|\.)module\./.test(t.name));
  if (prefixed.length && prefixed.length >= cp.tensors.length / 2) {
    warnings.push({ kind: 'module-prefix', text: `${prefixed.length} of ${cp.tensors.length} names carry the DataParallel/DDP \`module.\` prefix; load_state_dict into a bare model needs \`torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.")\`.`, tensors: prefixed.slice(0, 5).map((t) => t.name) });
  }
  const cuda = [...storages.values()].filter((s) => /^cuda/.test(s.device));
  if (cuda.length) {
    const bytes = cuda.reduce((a, s) => a + s.bytes, 0);
    warnings.push({ kind: 'cuda', text: `${cuda.length} storage${cuda.length > 1 ? 's were' : ' was'} saved from CUDA (${bytes} bytes); on a machine without that GPU use torch.load(..., map_location="cpu").`, tensors: cuda.slice(0, 5).map((s) => s.users[0].name) });
  }
  const wasted = wastedBytes(storages);
  if (wasted.total > 0) {
    warnings.push({ kind: 'wasted-bytes', text: `${wasted.total} bytes of storage are saved but used by no tensor: views of larger tensors saved without \`.clone()\` keep their whole storage (largest: ${wasted.top.slice(0, 3).map((w) => `${w.name} ${w.bytes} B`).join(', ')}).`, tensors: wasted.top.map((w) => w.name) });
  }
  const fileName = cp.path.split(/[\\/]/).filter(Boolean).pop() ?? cp.path;
  return {
    path: cp.path,
    fileName,
    format: cp.format,
    producer: cp.producer ?? null,
    tensorCount: cp.tensors.length,
    storageCount: storages.size,
    elementCount,
    parameterCount,
    storageBytes,
    byDtype: tally((s) => s.dtype),
    byDevice: tally((s) => s.device),
    warnings,
    globals: cp.globals.map((g) => ({ name: g.name, count: g.count, unsafe: g.unsafe })),
    meta: Object.entries(cp.meta),
  };
}

/** Storage bytes no tensor touches: for each storage, its size minus the union of its tensors' extents. */
export function wastedBytes(storages: Map<string, { bytes: number; dtype: string; users: TensorInfo[] }>): { total: number; top: Array<{ name: string; bytes: number }> } {
  let total = 0;
  const top: Array<{ name: string; bytes: number }> = [];
  for (const s of storages.values()) {
    const size = itemSize(s.users[0]);
    if (!size || s.users.some((t) => t.layout !== 'strided' || t.stride.length !== t.shape.length)) continue;
    const spans = s.users
      .map((t) => storageExtent(t.shape, t.stride, t.storageOffset))
      .filter((e): e is { first: number; last: number } => e !== null)
      .sort((a, b) => a.first - b.first);
    let covered = 0;
    let end = -1;
    for (const e of spans) {
      if (e.last <= end) continue;
      covered += e.last - Math.max(e.first, end + 1) + 1;
      end = e.last;
    }
    const w = s.bytes - covered * size;
    if (w > 0) {
      total += w;
      top.push({ name: s.users[0].name, bytes: w });
    }
  }
  top.sort((a, b) => b.bytes - a.bytes);
  return { total, top: top.slice(0, 10) };
}
