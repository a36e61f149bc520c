/**
 * From an unpickled object tree to named tensors (rules: ../shared/corpus/NAMING.md) and the bounded
 * JSON content tree (`Checkpoint.content`), plus the warnings every pickle-based reader shares.
 *
 * Public API
 *   nameTensors(root, options?): NamedTree
 *     → { tensors: TensorInfo[], content: JsonValue, truncated: boolean, warning?: string (why it was cut) }
 *   tensorInfoOf(value, name): TensorInfo          one TorchTensor / NumpyArray
 *   pickleWarnings(tensors, globals): string[]     unsafe globals, `module.` prefix, CUDA storages, unused storage bytes
 *   unlistedStorages(storages, tensors)            a warning when storages of the pickle back no listed tensor
 *   keyText(key): string                           a dict key as a name segment
 * Walks are iterative over an explicit budget: recursive memo references (a list that holds itself)
 * and exponential sharing end in a bounded result, never a hang or a stack overflow. Every walk stops at a
 * fixed depth (MAX_NAME_DEPTH for names, MAX_SCAN_DEPTH for the tensor pre-check, 24 for the content
 * tree, where deeper content shows as '…'), however deep the tree nests: the pickle machine refuses more
 * than 100,000 levels, but its count is a lower bound (see nestOf in ./pickle/values).
 */
import type { GlobalUse, JsonValue, StorageInfo, TensorInfo } from './model';
import { setJsonKey } from './model';
import { dtypeInfo } from './dtype';
import { contiguousStrides, isContiguous, memoryFormatOf } from './layout';
import { NumpyArray } from './pickle/builtins';
import { TorchStorage, TorchTensor } from './pickle/torch';
import {
  PyBytes, PyDict, PyGlobal, PyObject, PySet, PyTuple, isExtension, pyRepr, type PyValue,
} from './pickle/values';
import { formatBytes } from './units';

export interface NameOptions {
  /** most tensors to list (default 500,000) */
  maxTensors?: number;
  /** most container visits while naming (default 5,000,000) */
  maxVisits?: number;
  /** deepest name (segments; default MAX_NAME_DEPTH) */
  maxDepth?: number;
  /** content tree caps */
  contentNodes?: number;
  contentDepth?: number;
}

export interface NamedTree {
  tensors: TensorInfo[];
  content: JsonValue;
  truncated: boolean;
  /** why the tensor list is cut short (for Checkpoint.warnings); undefined when it is whole */
  warning?: string;
}

/**
 * The deepest tensor name, in segments. A Python pickler nests at most ~1,000 levels (its recursion
 * limit) and a real state dict a dozen; tensors deeper than this are not listed, and say so.
 */
export const MAX_NAME_DEPTH = 256;

export function keyText(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'boolean') return key ? 'True' : 'False';
  if (key === null) return 'None';
  return pyRepr(key, 1);
}

const join = (prefix: string, seg: string): string => (prefix === '' ? seg : `${prefix}.${seg}`);

/** The state dict of an `nn.Module` placeholder, or undefined when the object is not a module. */
function moduleState(obj: PyObject): PyDict | undefined {
  const attrs = obj.attributes();
  if (!attrs) return undefined;
  const params = attrs.get('_parameters');
  const modules = attrs.get('_modules');
  if (params instanceof PyDict && modules instanceof PyDict) return attrs;
  return undefined;
}

function nonPersistent(attrs: PyDict): Set<string> {
  const s = attrs.get('_non_persistent_buffers_set');
  const out = new Set<string>();
  const items = s instanceof PySet ? s.items : Array.isArray(s) ? s : [];
  for (const it of items) if (typeof it === 'string') out.add(it);
  return out;
}

const MAX_NAMES_PER_TENSOR = 64;

/** Children of a value in naming order: [segment, child]. Leaves (tensors) return undefined. */
function childrenOf(v: PyValue): Array<[string, PyValue]> | undefined {
  if (v instanceof PyDict) {
    const keys = v.keys;
    const values = v.values;
    const out = new Array<[string, PyValue]>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      out[i] = [typeof k === 'string' ? k : keyText(k), values[i]];
    }
    return out;
  }
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (v instanceof PyTuple) return v.items.map((x, i) => [String(i), x]);
  if (v instanceof PySet) return v.items.map((x, i) => [String(i), x]);
  if (v instanceof PyObject) {
    const mod = moduleState(v);
    if (mod) {
      const out: Array<[string, PyValue]> = [];
      const params = mod.get('_parameters') as PyDict;
      for (const [k, val] of params.entries()) if (val !== null) out.push([keyText(k), val]);
      const buffers = mod.get('_buffers');
      if (buffers instanceof PyDict) {
        const skip = nonPersistent(mod);
        for (const [k, val] of buffers.entries()) if (val !== null && !skip.has(keyText(k))) out.push([keyText(k), val]);
      }
      const modules = mod.get('_modules') as PyDict;
      for (const [k, val] of modules.entries()) if (val !== null) out.push([keyText(k), val]);
      return out;
    }
    const out: Array<[string, PyValue]> = [];
    const attrs = v.attributes();
    // a state that is not an attribute dict (custom __getstate__ tuples) gives no names
    if (attrs) for (const [k, val] of attrs.entries()) out.push([keyText(k), val]);
    if (v.dictItems) for (const [k, val] of v.dictItems.entries()) out.push([keyText(k), val]);
    if (v.listItems) v.listItems.forEach((x, i) => out.push([String(i), x]));
    if (out.length === 0) v.args.forEach((x, i) => out.push([String(i), x]));
    return out;
  }
  return undefined;
}

function isContainer(v: PyValue): v is PyDict | PyValue[] | PyTuple | PySet | PyObject {
  return v instanceof PyDict || Array.isArray(v) || v instanceof PyTuple || v instanceof PySet || v instanceof PyObject;
}

/**
 * The values below a container, for the tensor pre-check: a superset of what `childrenOf` names (a
 * module's skipped entries included), without building names.
 */
function childValues(v: PyValue & object): PyValue[] {
  if (v instanceof PyDict) return v.values;
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  return (childrenOf(v) ?? []).map(([, c]) => c);
}

/**
 * How far down the tensor pre-check looks; what lies deeper counts as "may hold a tensor", so the naming
 * walk goes down to its own limit and warns. Deep enough that a real tree without tensors in its depths
 * (a linked structure in a config) gives no warning, shallow enough that the walk's own stack stays small.
 */
const MAX_SCAN_DEPTH = 10_000;

/** containers with fewer plain children than this are scanned again rather than remembered */
const SMALL_LEAF = 16;

/** Cheap pre-check: does any tensor hide below? (memoized per container, cycle-safe, MAX_SCAN_DEPTH deep) */
function makeHasTensor(maxDepth: number): (v: PyValue) => boolean {
  const memo = new Map<object, boolean>();
  return function has(root: PyValue): boolean {
    if (root instanceof TorchTensor || root instanceof NumpyArray) return true;
    if (!isContainer(root)) return false;
    const known = memo.get(root);
    if (known !== undefined) return known;
    // iterative post-order
    const stack: Array<{ v: PyValue & object; kids: PyValue[]; i: number }> = [];
    const open = new Set<object>();
    const pushNode = (v: PyValue & object): void => {
      open.add(v);
      stack.push({ v, kids: childValues(v), i: 0 });
    };
    pushNode(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (memo.get(top.v) === true) { stack.pop(); open.delete(top.v); continue; }
      if (top.i >= top.kids.length) {
        // a container of a few plain values is not remembered: it costs as little to scan again, and a flat
        // list of millions of small containers would otherwise make a map of millions of entries
        if (!memo.has(top.v) && (top.kids.length >= SMALL_LEAF || top.kids.some(isContainer))) memo.set(top.v, false);
        stack.pop();
        open.delete(top.v);
        continue;
      }
      const c = top.kids[top.i++];
      if (c instanceof TorchTensor || c instanceof NumpyArray) {
        for (const f of stack) memo.set(f.v, true);
        continue;
      }
      if (!isContainer(c) || open.has(c)) continue;
      const k = memo.get(c);
      if (k === true || (k === undefined && stack.length >= maxDepth)) { for (const f of stack) memo.set(f.v, true); continue; }
      if (k === false) continue;
      pushNode(c);
    }
    return memo.get(root) ?? false;
  };
}

export function nameTensors(root: PyValue, options: NameOptions = {}): NamedTree {
  const maxTensors = options.maxTensors ?? 500_000;
  const maxVisits = options.maxVisits ?? 5_000_000;
  const maxDepth = options.maxDepth ?? MAX_NAME_DEPTH;
  const tensors: TensorInfo[] = [];
  /** the first name of each tensor, and how many times it was named */
  const names = new Map<object, string>();
  const emitted = new Map<object, number>();
  const storages = new Map<TorchStorage, StorageInfo>();
  const hasTensor = makeHasTensor(MAX_SCAN_DEPTH);
  let visits = 0;
  let truncated = false;
  let tooDeep = false;

  const emit = (v: TorchTensor | NumpyArray, name: string): void => {
    if (tensors.length >= maxTensors) { truncated = true; return; }
    if (!names.has(v)) names.set(v, name);
    const info = tensorInfoOf(v, name, storages);
    tensors.push(info);
    if (v instanceof TorchTensor && v.components) {
      for (const [part, comp] of Object.entries(v.components)) {
        const cname = join(name, part);
        tensors.push(tensorInfoOf(comp, cname, storages));
        if (!names.has(comp)) names.set(comp, cname);
      }
    }
  };

  // Depth-first, children in order, on an explicit stack kept as parallel arrays (pushed in reverse). An
  // exit entry (a container in \`exits\`, value unused) takes a container off the current path, so a
  // container met again on its own path (a cycle) is skipped in O(1). Plain arrays and no per-step
  // objects: a state dict of thousands of tensors is walked once per open.
  const onPath = new Set<object>();
  const values: PyValue[] = [root];
  const paths: string[] = [''];
  const depths: number[] = [0];
  const exits: Array<object | undefined> = [undefined];
  const push = (value: PyValue, name: string, depth: number): void => {
    values.push(value); paths.push(name); depths.push(depth); exits.push(undefined);
  };
  while (values.length) {
    const v = values.pop() as PyValue;
    const name = paths.pop() as string;
    const depth = depths.pop() as number;
    const exit = exits.pop();
    if (exit !== undefined) { onPath.delete(exit); continue; }
    if (v instanceof TorchTensor || v instanceof NumpyArray) {
      // the same tensor reached through many paths (shared sub-trees) is named a bounded number of times
      const n = (emitted.get(v) ?? 0) + 1;
      emitted.set(v, n);
      if (n > MAX_NAMES_PER_TENSOR) { truncated = true; continue; }
      emit(v, name);
      continue;
    }
    if (!isContainer(v) || !hasTensor(v)) continue;
    if (onPath.has(v)) continue; // a container holding itself
    if (depth >= maxDepth) { truncated = tooDeep = true; continue; }
    if (++visits > maxVisits || tensors.length >= maxTensors) { truncated = true; continue; }
    onPath.add(v);
    values.push(null); paths.push(''); depths.push(0); exits.push(v);
    if (v instanceof PyDict) {
      // the common case (a state dict): no [segment, child] pairs
      const keys = v.keys;
      const vals = v.values;
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        push(vals[i], join(name, typeof k === 'string' ? k : keyText(k)), depth + 1);
      }
      continue;
    }
    const kids = childrenOf(v);
    if (!kids) continue;
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i];
      push(kid[1], join(name, kid[0]), depth + 1);
    }
  }

  const content = toContent(root, names, options.contentNodes ?? 20_000, options.contentDepth ?? 24);
  const warning = !truncated ? undefined : tooDeep
    ? `the object tree nests deeper than ${maxDepth} levels: tensors below that depth are not listed`
    : 'the object tree is too large: the tensor list is truncated';
  return { tensors, content, truncated, warning };
}

function storageInfoOf(s: TorchStorage, cache: Map<TorchStorage, StorageInfo>): StorageInfo {
  let info = cache.get(s);
  if (!info) {
    info = { key: s.key, dtype: s.dtype, bytes: s.bytes, device: s.device, byteOrder: s.byteOrder, source: s.source };
    cache.set(s, info);
  }
  return info;
}

export function tensorInfoOf(v: TorchTensor | NumpyArray, name: string, cache = new Map<TorchStorage, StorageInfo>()): TensorInfo {
  if (v instanceof NumpyArray) {
    const np = v.dtype?.info;
    const dtype = np?.dtype ?? 'unknown';
    const shape = v.shape;
    const stride = v.fortranOrder ? contiguousStrides([...shape].reverse()).reverse() : contiguousStrides(shape);
    const data = v.data;
    const storage: StorageInfo | null = data
      ? {
        key: `numpy:${name}`, dtype, bytes: data.length, device: 'cpu',
        byteOrder: np?.byteOrder === 'big' ? 'big' : 'little',
        source: { size: data.length, read: (o, l) => Promise.resolve(data.subarray(o, o + l)), describe: () => `numpy array ${name} in the pickle` },
      }
      : null;
    return {
      name, dtype, shape, stride, storageOffset: 0, contiguous: isContiguous(shape, stride),
      memoryFormat: memoryFormatOf(shape, stride), layout: 'strided', device: 'cpu', requiresGrad: false,
      storage, numpy: true, numpyDtype: np?.numpyName ?? (v.dtype ? v.dtype.code : 'object'),
    };
  }
  const storage = v.storage ? storageInfoOf(v.storage, cache) : null;
  const strided = v.layout === 'strided';
  const contiguous = strided && isContiguous(v.shape, v.stride);
  const info: TensorInfo = {
    name,
    dtype: v.dtype,
    shape: v.shape,
    stride: strided ? v.stride : [],
    storageOffset: v.storageOffset,
    contiguous,
    // memoryFormatOf is 'contiguous' exactly when isContiguous holds
    memoryFormat: !strided ? 'other' : contiguous ? 'contiguous' : memoryFormatOf(v.shape, v.stride),
    layout: v.layout,
    device: v.storage?.device ?? v.device,
    requiresGrad: v.requiresGrad,
    storage,
  };
  if (v.isParameter) info.isParameter = true;
  if (v.quant) info.quant = v.quant;
  if (v.components) {
    const components: Record<string, string> = {};
    for (const part of Object.keys(v.components)) components[part] = join(name, part);
    info.sparse = { components, nnz: v.nnz };
  }
  return info;
}

// ------------------------------------------------------------------ content tree

function numberJson(n: number): JsonValue {
  if (Number.isFinite(n)) return n;
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
}

const MAX_STRING = 2000;
const MAX_ITEMS = 1000;

function toContent(root: PyValue, names: Map<object, string>, maxNodes: number, maxDepth: number): JsonValue {
  let nodes = 0;
  const open = new Set<object>();

  // recursion is bounded by maxDepth (small), so plain recursion is safe here
  const conv = (v: PyValue, depth: number): JsonValue => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') {
      return typeof v === 'string' && v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…(${v.length} chars)` : v;
    }
    if (typeof v === 'number') return numberJson(v);
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof TorchTensor || v instanceof NumpyArray) {
      const name = names.get(v);
      if (name !== undefined) return { $tensor: name };
      const dtype = v instanceof TorchTensor ? v.dtype : v.dtype?.info.dtype ?? 'unknown';
      return { $tensor: null, dtype, shape: v.shape };
    }
    if (v instanceof PyBytes) return { $bytes: v.data.length };
    if (v instanceof PyGlobal) return { $global: v.fullName };
    if (v instanceof TorchStorage) return { $storage: v.key, dtype: v.dtype, bytes: v.bytes };
    if (isExtension(v)) return { $class: v.typeName };
    if (++nodes > maxNodes || depth >= maxDepth) return '…';
    if (open.has(v)) return { $cycle: true };
    open.add(v);
    try {
      if (Array.isArray(v) || v instanceof PyTuple || v instanceof PySet) {
        const items = Array.isArray(v) ? v : v.items;
        const out: JsonValue[] = items.slice(0, MAX_ITEMS).map((x) => conv(x, depth + 1));
        if (items.length > MAX_ITEMS) out.push(`…(${items.length - MAX_ITEMS} more)`);
        return v instanceof PySet ? { $set: out } : out;
      }
      if (v instanceof PyDict) {
        const out: { [k: string]: JsonValue } = {};
        const keys = v.keys;
        const vals = v.values;
        const n = Math.min(keys.length, MAX_ITEMS);
        for (let i = 0; i < n; i++) {
          const k = keys[i];
          setJsonKey(out, typeof k === 'string' ? k : keyText(k), conv(vals[i], depth + 1));
        }
        if (keys.length > MAX_ITEMS) out['…'] = `${keys.length - MAX_ITEMS} more`;
        return out;
      }
      if (v instanceof PyObject) {
        const out: { [k: string]: JsonValue } = { $class: v.className };
        const mod = moduleState(v);
        if (mod) {
          // the module's own settings (in_features, kernel_size, training, …), then what state_dict holds
          for (const [k, val] of mod.entries()) {
            const key = keyText(k);
            if (!key.startsWith('_')) setJsonKey(out, key, conv(val, depth + 1));
          }
          const children: { [k: string]: JsonValue } = {};
          const kids = childrenOf(v) ?? [];
          for (const [seg, child] of kids) setJsonKey(children, seg, conv(child, depth + 1));
          out.state_dict = children;
          return out;
        }
        const attrs = v.attributes();
        if (attrs) {
          let n = 0;
          for (const [k, val] of attrs.entries()) {
            if (n++ >= MAX_ITEMS) break;
            setJsonKey(out, keyText(k), conv(val, depth + 1));
          }
        } else if (v.state !== undefined) {
          out.$state = conv(v.state, depth + 1);
        }
        if (v.args.length && !attrs) out.$args = v.args.slice(0, MAX_ITEMS).map((x) => conv(x, depth + 1));
        if (v.dictItems) out.$items = conv(v.dictItems, depth + 1);
        if (v.listItems) out.$list = conv(v.listItems, depth + 1);
        return out;
      }
      return null;
    } finally {
      open.delete(v);
    }
  };
  return conv(root, 0);
}

// ------------------------------------------------------------------ warnings

interface Extent {
  storage: StorageInfo;
  firstName: string;
  /** a strided tensor (not a numpy array) uses the storage: its uncovered bytes count */
  counted: boolean;
  /** the first tensor's byte range (lo < 0: none yet) */
  lo: number;
  hi: number;
  /** the other tensors' ranges */
  more: Array<[number, number]> | undefined;
}

export function pickleWarnings(tensors: TensorInfo[], globals: GlobalUse[]): string[] {
  const out: string[] = [];
  const unsafe = globals.filter((g) => g.unsafe);
  if (unsafe.length) {
    const list = unsafe.slice(0, 12).map((g) => `${g.name}${g.count > 1 ? ` ×${g.count}` : ''}`).join(', ');
    out.push(`pickle uses ${unsafe.length} global${unsafe.length > 1 ? 's' : ''} torch.load(weights_only=True) would refuse: ${list}${unsafe.length > 12 ? ', …' : ''}`);
  }
  const dangerous = unsafe.filter((g) => /^(os|posix|nt|subprocess|builtins\.(eval|exec|compile|__import__|getattr|open)|__builtin__\.(eval|exec)|sys|shutil|socket|runpy|pty|webbrowser)(\.|$)/.test(g.name));
  if (dangerous.length) {
    out.push(`pickle calls ${dangerous.map((g) => g.name).join(', ')}: torch.load(weights_only=False) would run code from this file (nothing was run here)`);
  }
  // one pass over the tensors: 'module.' names, CUDA storages, storage extents, tensors past their storage
  const moduleName = /(^|\.)module\./;
  let prefixedCount = 0;
  const cudaDevices = new Set<string>();
  let cudaStorages = 0;
  // per storage key: the first tensor's name and the byte ranges tensors cover (most storages hold one
  // tensor: its range is kept inline, an array only for the rest)
  const extents = new Map<string, Extent>();
  const outside: TensorInfo[] = [];
  for (let ti = 0; ti < tensors.length; ti++) {
    const t = tensors[ti];
    if (t.name.includes('module.') && moduleName.test(t.name)) prefixedCount++;
    const storage = t.storage;
    if (!storage) continue;
    let e = extents.get(storage.key);
    if (!e) {
      e = { storage, firstName: t.name, counted: false, lo: -1, hi: -1, more: undefined };
      extents.set(storage.key, e);
      if (storage.device.startsWith('cuda')) { cudaStorages++; cudaDevices.add(storage.device); }
    }
    if (t.layout !== 'strided') continue;
    const shape = t.shape;
    const stride = t.stride;
    let empty = false;
    let reach = 0; // Σ (d - 1)·|stride|: the last element's distance from the first
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (d === 0) empty = true;
      reach += (d - 1) * Math.abs(stride[i] ?? 0);
    }
    const itemSize = dtypeInfo(t.dtype).itemSize;
    if (!t.numpy) e.counted = true;
    if (!t.numpy && !empty) {
      // storage bytes no tensor covers
      const item = itemSize || 1;
      const lo = t.storageOffset * item;
      const hi = (t.storageOffset + 1 + reach) * item;
      if (e.lo < 0) { e.lo = lo; e.hi = hi; } else (e.more ??= []).push([lo, hi]);
    }
    if (!empty && itemSize && (t.storageOffset + reach + 1) * itemSize > storage.bytes) outside.push(t);
  }
  if (prefixedCount && prefixedCount >= tensors.length / 2) {
    out.push(`${prefixedCount} of ${tensors.length} tensor names carry the 'module.' prefix of DataParallel/DistributedDataParallel; strip it before load_state_dict into a plain model`);
  }
  if (cudaStorages) {
    out.push(`${cudaStorages} storage${cudaStorages > 1 ? 's were' : ' was'} saved from ${[...cudaDevices].sort().join(', ')}; torch.load needs map_location='cpu' on a machine without that GPU`);
  }
  if (outside.length) {
    out.push(`${outside.length} tensor${outside.length > 1 ? 's reach' : ' reaches'} past the end of ${outside.length > 1 ? 'their storages' : 'its storage'} (corrupt file?): ${outside.slice(0, 5).map((t) => t.name).join(', ')}`);
  }
  let wasted = 0;
  let worst: { name: string; unused: number; total: number } | undefined;
  for (const extent of extents.values()) {
    if (!extent.counted) continue; // numpy arrays and sparse tensors only
    const storage = extent.storage;
    let covered = extent.lo < 0 ? 0 : extent.hi - extent.lo;
    if (extent.more) {
      const ranges: Array<[number, number]> = [[extent.lo, extent.hi], ...extent.more];
      ranges.sort((a, b) => a[0] - b[0]);
      covered = 0;
      let end = 0;
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i];
        const from = Math.max(r[0], end);
        if (r[1] > from) { covered += r[1] - from; end = r[1]; }
      }
    }
    const unused = Math.max(0, storage.bytes - covered);
    if (unused >= 1024 && unused > storage.bytes / 4) {
      wasted += unused;
      if (!worst || unused > worst.unused) {
        worst = { name: extent.firstName, unused, total: storage.bytes };
      }
    }
  }
  if (worst) {
    out.push(`${formatBytes(wasted)} of saved storage are not covered by any tensor: a small view dragged a big storage into the file (e.g. '${worst.name}' uses ${formatBytes(worst.total - worst.unused)} of a ${formatBytes(worst.total)} storage; save a .clone())`);
  }
  return out;
}

/**
 * A warning when some storages the pickle loaded (empty ones aside) back no listed tensor: what a
 * state_dict leaves out (non-persistent buffers, plain module attributes, object state without names such
 * as a custom `__getstate__` tuple or TorchScript's quantized packed parameters). Undefined when every
 * storage is accounted for.
 */
export function unlistedStorages(storages: readonly TorchStorage[], tensors: readonly TensorInfo[]): string | undefined {
  if (storages.length === 0) return undefined;
  const used = new Set<string>();
  for (const t of tensors) if (t.storage) used.add(t.storage.key);
  let count = 0;
  let bytes = 0;
  for (const s of storages) {
    if (used.has(s.key) || s.bytes === 0) continue;
    count++;
    bytes += s.bytes;
  }
  if (count === 0) return undefined;
  return `${count} of the file's ${storages.length} storages (${formatBytes(bytes)}) back no listed tensor: tensors a state_dict leaves out (non-persistent buffers, plain module attributes, object state without names such as quantized packed parameters)`;
}
