/**
 * The Summary view's facts, computed once per load from the core model: counts, bytes by dtype and device,
 * producer, and the warnings a PyTorch user wants before `torch.load` (unsafe globals, `module.` prefixes,
 * CUDA storages, bytes wasted by views saved without `.clone()`).
 */
import type { Checkpoint, TensorInfo } from '../core/model';
import { dtypeInfo } from '../core/dtype';
import { storageExtent } from '../core/layout';
import { numelOf } from '../core/layout';
import { pickStateDict, trainingSectionKind } from '../core/stateDict';
import { mapOptimizerParams } from './content';

export interface SummaryWarning {
  kind: 'unsafe-globals' | 'torchscript' | 'module-prefix' | 'cuda' | 'wasted-bytes' | 'reader';
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
  /** what `sum(p.numel() for p in model.parameters())` gives: parameters of the model's state dict */
  parameterCount: number;
  /** the elements not counted as parameters, by what they are (buffers, optimizer state, `best_acc1`, …) */
  notParameters: ParameterRest[];
  /** bytes of the storages in the file */
  storageBytes: number;
  byDtype: Array<{ key: string; tensors: number; bytes: number }>;
  byDevice: Array<{ key: string; tensors: number; bytes: number }>;
  warnings: SummaryWarning[];
  /** `own`: a TorchScript archive's own classes and helpers, which torch.jit.load handles */
  globals: Array<{ name: string; count: number; unsafe: boolean; own?: boolean }>;
  meta: Array<[string, string]>;
}

export interface ParameterRest {
  /** `buffers`, `optimizer state`, `` `best_acc1` `` … */
  what: string;
  tensors: number;
  elements: number;
  /** a few of the tensors (links) */
  examples: string[];
}

const BUFFER_LEAF = /^(running_mean|running_var|num_batches_tracked)$/;

/** Heuristic: a tensor is a model parameter unless it sits under an optimizer/scheduler section or is a BN statistic. */
export function looksLikeParameter(t: Pick<TensorInfo, 'name' | 'dtype' | 'isParameter'>): boolean {
  if (t.isParameter !== undefined) return t.isParameter;
  const parts = t.name.split('.');
  if (parts.some((p) => trainingSectionKind(p) !== null)) return false;
  if (BUFFER_LEAF.test(parts[parts.length - 1])) return false;
  return true;
}

function floating(t: TensorInfo): boolean {
  try { const k = dtypeInfo(t.dtype).kind; return k === 'float' || k === 'complex'; } catch { return false; }
}

/**
 * Count as `sum(p.numel() for p in model.parameters())` would: the tensors of the model's state dict (not
 * optimizer state, not a `best_acc1` beside it) that are parameters — as the file records it (a pickled module,
 * TorchScript) or, in a bare state dict, floating-point tensors that are not BatchNorm statistics. The rest is
 * named, by kind.
 */
export function countParameters(cp: Pick<Checkpoint, 'tensors' | 'content'>): { count: number; rest: ParameterRest[] } {
  const pick = pickStateDict(cp.tensors, cp.content);
  const recorded = cp.tensors.some((t) => t.isParameter === true);
  // an optimizer saved beside a bare state dict tells buffers apart: the float tensors its parameters skip
  const buffers = new Set<string>();
  if (!recorded) for (const m of mapOptimizerParams(cp.content, cp.tensors)) for (const n of m.skipped) buffers.add(n);
  const rest = new Map<string, ParameterRest>();
  const add = (what: string, t: TensorInfo) => {
    const r = rest.get(what) ?? { what, tensors: 0, elements: 0, examples: [] };
    r.tensors++;
    r.elements += numelOf(t.shape);
    if (r.examples.length < 50) r.examples.push(t.name);
    rest.set(what, r);
  };
  let count = 0;
  const inModel = new Set<TensorInfo>();
  for (const { key, tensor } of pick.entries) {
    inModel.add(tensor);
    const leaf = key.slice(key.lastIndexOf('.') + 1);
    const isParam = recorded ? tensor.isParameter === true : floating(tensor) && !BUFFER_LEAF.test(leaf) && !buffers.has(tensor.name) && looksLikeParameter(tensor);
    if (isParam) count += numelOf(tensor.shape);
    else add('buffers', tensor);
  }
  for (const t of cp.tensors) {
    if (inModel.has(t)) continue;
    const top = pick.leftOut.find((l) => t.name === l.section || t.name.startsWith(`${l.section}.`));
    const what = !top ? 'other' : top.kind === 'other' ? `\`${top.section}\`` : `${top.kind === 'callbacks' ? 'callback' : top.kind} state`;
    add(what, t);
  }
  return { count, rest: [...rest.values()] };
}

/** Globals a TorchScript archive itself uses (its compiled classes, the jit's unpickling helpers). */
const TORCHSCRIPT_OWN = /^(__torch__|torch\.jit|torch\.classes|torch\._C\.ScriptObject)(\.|$)/;

/** The reader notes that say what a SummaryWarning kind says again, with links (src/core/naming.ts pickleWarnings). */
const SAID_BY_SUMMARY: Array<[SummaryWarning['kind'], RegExp]> = [
  ['unsafe-globals', /weights_only=True/],
  ['module-prefix', /'module\.' prefix of DataParallel/],
  ['cuda', /saved from cuda/],
];

function itemSize(t: TensorInfo): number {
  try { return dtypeInfo(t.dtype).itemSize; } catch { return 0; }
}

export function computeSummary(cp: Checkpoint): SummaryData {
  const storages = new Map<string, { bytes: number; dtype: string; device: string; users: TensorInfo[] }>();
  let elementCount = 0;
  const params = countParameters(cp);
  for (const t of cp.tensors) {
    const n = numelOf(t.shape);
    elementCount += n;
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
  const torchscript = cp.format === 'torchscript';
  const own = (name: string) => torchscript && TORCHSCRIPT_OWN.test(name);
  const unsafe = cp.globals.filter((g) => g.unsafe && !own(g.name));
  const prefixed = cp.tensors.filter((t) => /(^|\.)module\./.test(t.name));
  const modulePrefix = prefixed.length > 0 && prefixed.length >= cp.tensors.length / 2;
  const cuda = [...storages.values()].filter((s) => /^cuda/.test(s.device));
  const said = new Set<SummaryWarning['kind']>([...(unsafe.length ? ['unsafe-globals' as const] : []), ...(modulePrefix ? ['module-prefix' as const] : []), ...(cuda.length ? ['cuda' as const] : [])]);
  // a reader note the summary says again below, with advice and links, is shown once
  for (const w of cp.warnings) if (!SAID_BY_SUMMARY.some(([kind, re]) => said.has(kind) && re.test(w))) warnings.push({ kind: 'reader', text: w });
  if (torchscript) {
    const ownCount = cp.globals.filter((g) => own(g.name)).length;
    warnings.push({ kind: 'torchscript', text: `TorchScript archive: load it with \`torch.jit.load(path)\` (torch.load hands such files to it). ${ownCount ? `Its ${ownCount} global${ownCount > 1 ? 's are' : ' is'} TorchScript's own (compiled \`__torch__\` classes, jit helpers), not a reason for concern.` : ''}`.trim() });
  }
  if (unsafe.length) {
    const refuses = torchscript ? 'globals outside TorchScript\'s own: torch.jit.load would resolve' : 'torch.load(weights_only=True) would refuse this file: it uses';
    warnings.push({ kind: 'unsafe-globals', text: `${refuses} ${unsafe.length} global${unsafe.length > 1 ? 's' : ''}${torchscript ? '' : ' outside the safe list'} (${unsafe.slice(0, 6).map((g) => g.name).join(', ')}${unsafe.length > 6 ? ', …' : ''}). Tensorscope never runs them; loading with weights_only=False in Python would.` });
  }
  if (modulePrefix) {
    warnings.push({ kind: 'module-prefix', text: `${prefixed.length} of ${cp.tensors.length} names carry the DataParallel/DDP \`module.\` prefix; load_state_dict into a bare model needs \`torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.")\`.`, tensors: prefixed.slice(0, 50).map((t) => t.name) });
  }
  if (cuda.length) {
    const bytes = cuda.reduce((a, s) => a + s.bytes, 0);
    const devices = [...new Set(cuda.map((s) => s.device))].sort().join(', ');
    warnings.push({ kind: 'cuda', text: `${cuda.length} storage${cuda.length > 1 ? 's were' : ' was'} saved from ${devices} (${bytes} bytes); on a machine without that GPU use torch.load(..., map_location="cpu").`, tensors: cuda.slice(0, 50).map((s) => s.users[0].name) });
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
    parameterCount: params.count,
    notParameters: params.rest,
    storageBytes,
    byDtype: tally((s) => s.dtype),
    byDevice: tally((s) => s.device),
    warnings,
    globals: cp.globals.map((g) => (own(g.name) ? { name: g.name, count: g.count, unsafe: false, own: true } : { name: g.name, count: g.count, unsafe: g.unsafe })),
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
