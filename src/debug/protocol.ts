/** The JSON answers of the debuggee-side helper (src/debug/python/tensorscope_helper.py). */
import type { TensorStats } from '../core/model';

/** Statistics computed where the tensor lives: as the core's, without a histogram. */
export type LiveStats = Omit<TensorStats, 'histogram'>;

/** A torch tensor or a numpy array, described without copying its values. */
export interface LiveTensor {
  kind: 'tensor' | 'ndarray';
  type: string;
  shape: number[];
  dtype: string;
  device: string;
  stride: number[];
  storageOffset?: number;
  contiguous: boolean;
  memoryFormat?: string;
  requiresGrad: boolean;
  gradFn: string | null;
  isLeaf?: boolean;
  isParameter?: boolean;
  numel: number;
  layout?: string;
  bytes: number;
  stats?: LiveStats | null;
  note?: string;
  /** size of the storage under a plain strided torch tensor, when its bytes can be read as a storage */
  storageBytes?: number;
  /** set when a typed expression with calls computed it: the pinned value's reference for later reads */
  ref?: string;
}

export interface LiveContainer {
  kind: 'list' | 'tuple' | 'dict' | 'sequence';
  type: string;
  length: number;
  tensors: number;
  items: { key: string | number | boolean | null; value: LiveValue }[];
}

export interface LiveModule { kind: 'module'; type: string; parameters: number; numel: number }
export interface LiveOther { kind: 'other'; type: string; repr?: string; length?: number }

export type LiveValue = LiveTensor | LiveContainer | LiveModule | LiveOther;

/** A hover answer: a value, or one line saying why not. */
export type HoverAnswer = (LiveValue & { expr: string; elapsedMs: number }) | { error: string };

export interface InlineShape { shape: number[]; dtype: string; device: string; numpy?: boolean }

export interface SavedEntry {
  name: string;
  shape?: number[];
  dtype?: string;
  device?: string;
  value?: unknown;
  tensors?: { shape: number[]; dtype: string }[];
  error?: string;
}

export interface GraphNode {
  id: number;
  /** the backward node's class name (`AddmmBackward0`, `AccumulateGrad`) */
  name: string;
  saved: SavedEntry[];
  /** AccumulateGrad: the variable */
  variable?: { shape: number[]; dtype: string; device: string };
  /** AccumulateGrad of a module parameter or a named local: its name */
  param?: string;
}

export interface GraphLeaf { id: number; shape: number[]; dtype: string; name?: string; parameter?: boolean }

export interface AutogradGraph {
  nodes: GraphNode[];
  edges: [number, number][];
  leaves: GraphLeaf[];
  truncated: boolean;
  maxNodes?: number;
  /** time spent walking in the debuggee */
  walkMs?: number;
  /** set when there is nothing to walk (no grad_fn) */
  note?: string;
  /** time from the request to the parsed graph, on our side */
  elapsedMs?: number;
}

export type AutogradAnswer = AutogradGraph | { error: string };

export function isError(a: object): a is { error: string } {
  return typeof (a as { error?: unknown }).error === 'string';
}

export function isLiveTensor(v: LiveValue): v is LiveTensor {
  return v.kind === 'tensor' || v.kind === 'ndarray';
}
