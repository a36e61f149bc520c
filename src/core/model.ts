/**
 * The tensor model every reader produces and every consumer (CLI, extension, compute, tests) reads.
 * Pure data plus lazy byte access: nothing here loads tensor bytes until asked.
 */
import type { DTypeName } from './dtype';

export type FormatName =
  | 'torch-zip' | 'torch-legacy' | 'torchscript' | 'torch-export' | 'torch-dcp'
  | 'safetensors' | 'npy' | 'npz' | 'onnx' | 'pickle'
  /** a tensor of a program stopped in the debugger (src/debug/liveCheckpoint.ts) */
  | 'live'
  /** the result of an op run in Tensorscope, in memory (src/compute/resultCheckpoint.ts) */
  | 'computed';

export type MemoryFormat = 'contiguous' | 'channels_last' | 'channels_last_3d' | 'other';

export type Layout = 'strided' | 'sparse_coo' | 'sparse_csr' | 'sparse_csc' | 'sparse_bsr' | 'sparse_bsc';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * `obj[key] = value` for keys that come from a file: a key named `__proto__` becomes an own property
 * like any other, instead of replacing the object's prototype and vanishing from the tree.
 */
export function setJsonKey<T>(obj: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The content tree of a file that holds tensors only: each tensor's name points at it. */
export function tensorRefs(tensors: readonly TensorInfo[]): Record<string, JsonValue> {
  const content: Record<string, JsonValue> = {};
  for (const t of tensors) setJsonKey(content, t.name, { $tensor: t.name });
  return content;
}

const refsOnly = new WeakMap<object, Record<string, JsonValue>>();

/**
 * Give `ck` the content of a file that holds tensors only (`tensorRefs`, then the `extra` members), built
 * when first read and kept: a million tensors' references are a million objects and a million-member
 * object, which a table, statistics or a streamed JSON (`tensorRefsContent`) never need. Names are unique.
 */
export function lazyTensorRefs<C extends Omit<Checkpoint, 'content'>>(ck: C, extra: Record<string, JsonValue> = {}): C & Checkpoint {
  let built: JsonValue | undefined;
  Object.defineProperty(ck, 'content', {
    enumerable: true,
    configurable: true,
    get: () => (built ??= Object.assign(tensorRefs(ck.tensors), extra)),
    set: (v: JsonValue) => { built = v; refsOnly.delete(ck); },
  });
  refsOnly.set(ck, extra);
  return ck as C & Checkpoint;
}

/** The extra members of a content made by `lazyTensorRefs` and not replaced since (else undefined): the rest is `ck.tensors`. */
export function tensorRefsContent(ck: Checkpoint): Record<string, JsonValue> | undefined {
  return refsOnly.get(ck);
}

/** Random access to bytes, without holding them: a file region, a zip entry (stored or deflated), a buffer. */
export interface ByteSource {
  /** total size in bytes */
  readonly size: number;
  /** read `length` bytes at `offset` (relative to this source); fewer only at the end */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** stream the whole source (or a range) in chunks, in order; used for deflated entries and statistics */
  chunks?(offset: number, length: number, chunkSize: number): AsyncIterable<Uint8Array>;
  /** where the bytes are, for messages (`archive/data/0 in model.pt`) */
  describe(): string;
  /**
   * true when every `read`/`chunks` result is new memory the caller owns (a file read), so it may be
   * transferred to a worker without a copy; leave unset for sources that hand out views of kept memory
   */
  readsFresh?: boolean;
}

/** One storage as saved in the file. Tensors that share it share `key`. */
export interface StorageInfo {
  /** unique within the checkpoint (`data/0`, a safetensors name, a `.distcp` file, …) */
  key: string;
  dtype: DTypeName;
  /** size of the whole storage in bytes */
  bytes: number;
  /** the saved location: `cpu`, `cuda:0`, `meta`, … */
  device: string;
  byteOrder: 'little' | 'big';
  /** lazily readable bytes; null where the file holds none (meta tensors, TorchScript constants not found, …) */
  source: ByteSource | null;
}

export interface QuantInfo {
  scheme: 'per_tensor_affine' | 'per_channel_affine' | 'per_channel_affine_float_qparams' | 'per_tensor_symmetric' | 'other';
  scale?: number;
  zeroPoint?: number;
  axis?: number;
  /** per-channel scales / zero points (small; kept inline) */
  scales?: number[];
  zeroPoints?: number[];
}

export interface SparseInfo {
  /** names of the component tensors (indices/values, crow/col indices) listed separately in `Checkpoint.tensors` */
  components: Record<string, string>;
  nnz?: number;
}

export interface TensorInfo {
  /** naming rules: ../shared/corpus/NAMING.md */
  name: string;
  dtype: DTypeName;
  shape: number[];
  /** in elements; empty for sparse tensors */
  stride: number[];
  /** in elements */
  storageOffset: number;
  contiguous: boolean;
  memoryFormat: MemoryFormat;
  layout: Layout;
  device: string;
  requiresGrad: boolean;
  /** null for sparse tensors (their components carry storages) */
  storage: StorageInfo | null;
  /** a numpy array (in .npy/.npz or inside a pickle) */
  numpy?: boolean;
  /** numpy's dtype name when `numpy` */
  numpyDtype?: string;
  isParameter?: boolean;
  quant?: QuantInfo;
  sparse?: SparseInfo;
}

/** Use of a pickle global (`module.name`), with whether `torch.load(weights_only=True)` would refuse it. */
export interface GlobalUse {
  name: string;
  count: number;
  unsafe: boolean;
}

export interface Checkpoint {
  path: string;
  format: FormatName;
  tensors: TensorInfo[];
  /** the non-tensor rest of the file as a bounded JSON-able tree; tensors appear as `{"$tensor": name}` */
  content: JsonValue;
  warnings: string[];
  globals: GlobalUse[];
  /** `pytorch 2.11`, `safetensors (format=pt)`, `numpy 1.0`, producer name of an ONNX model, … */
  producer?: string;
  /** free-form facts for the summary (`archive prefix`, `byteorder`, `serialization id`, …) */
  meta: Record<string, string>;
  /** release file handles */
  close(): Promise<void>;
}

/** A reader's clean refusal: `what` the file is when known, `reason` it can't be read. One line, never a stack. */
export class UnreadableError extends Error {
  constructor(readonly reason: string, readonly what?: string) {
    super(what ? `${what}: ${reason}` : reason);
    this.name = 'UnreadableError';
  }
}

export interface TensorStats {
  count: number;
  /** over finite values; null when there are none */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** sample standard deviation (as torch.std), over finite values */
  std: number | null;
  nan: number;
  inf: number;
  zeros: number;
  histogram: { min: number; max: number; counts: number[] } | null;
}

/** One file format's reader. `src/core/formats/index.ts` lists them; `src/core/open.ts` picks one by content. */
export interface FormatReader {
  format: FormatName;
  /**
   * Decide from content whether this reader handles the path. `head` is the first bytes of the file
   * (up to 64 KiB; empty for a directory); `entries` lists a directory's file names (empty for a file).
   */
  detect(head: Uint8Array, path: string, entries: readonly string[]): boolean;
  open(path: string, options?: OpenOptions): Promise<Checkpoint>;
}

export interface OpenOptions {
  signal?: AbortSignal;
  /** what `open.ts` read while detecting the format, handed on so no reader reads it again */
  detected?: DetectionContext;
}

/**
 * The detection context: the first bytes and, for a zip file, its directory already read (the reader that
 * is given it owns it: its checkpoint closes it, or the reader closes it when it fails).
 */
export interface DetectionContext {
  head: Uint8Array;
  zip?: DetectedZip;
}

/** The part of `ZipArchive` the detection context promises (a structural type: model.ts imports no reader). */
export interface DetectedZip {
  readonly names: readonly string[];
  close(): Promise<void>;
}
