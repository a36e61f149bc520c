/**
 * Running one op graph over packed input tensors: feeds (float16/bfloat16 computed in float32 and rounded back
 * to their dtype at the end, as torch stores them), outputs as `Dense`, type promotion for ops that promote.
 */
import type { DTypeName } from '../core/dtype';
import type { NaturalArray } from '../core/decode';
import { HALF_TABLE } from '../core/decode';
import { floatToHalf } from '../core/npyWrite';
import { numelOf } from '../core/layout';
import type { Dense } from './dense';
import { isComputeDType, makeDense, toFloat32 } from './dense';
import { GraphBuilder } from './graph';
import type { ProviderChoice } from './providers';
import type { Feed, RunInfo } from './session';
import { runGraph } from './session';

/** The dtype a tensor is fed to onnxruntime in. */
export function feedDType(d: DTypeName): DTypeName {
  if (d === 'float16' || d === 'bfloat16') return 'float32';
  if (!isComputeDType(d)) throw new Error(`dtype ${d} is not supported by the compute ops (supported: float64/32/16, bfloat16, int64/32/16/8, uint8, bool)`);
  return d;
}

export function feedOf(t: Dense): Feed {
  const dtype = feedDType(t.dtype);
  const data: NaturalArray = dtype === 'float32' ? toFloat32(t.data) : t.data;
  if (data.length !== numelOf(t.shape)) throw new Error('internal: feeding a tensor that is not packed');
  return { dtype, shape: t.shape, data };
}

export interface ExecOptions {
  providers: ProviderChoice;
  /** elements per run for ops that can be chunked (full reductions, elementwise metrics) */
  chunkElements?: number;
}

export const DEFAULT_CHUNK_ELEMENTS = 1 << 24;

export function chunkSize(opts: ExecOptions): number {
  const env = Number(process.env.TENSORSCOPE_CHUNK_ELEMENTS);
  return opts.chunkElements ?? (Number.isInteger(env) && env > 0 ? env : DEFAULT_CHUNK_ELEMENTS);
}

export interface Built {
  /** the graph's output value */
  out: string;
  /** the dtype of the result as torch reports it */
  dtype: DTypeName;
}

/**
 * Build and run a one-output graph. `build` receives the builder and the graph-input names (x0, x1, …)
 * and returns the output value and its torch dtype.
 */
export async function execGraph(
  key: string,
  inputs: readonly Dense[],
  build: (g: GraphBuilder, names: string[]) => Built,
  opts: ExecOptions,
  op?: string,
): Promise<{ tensor: Dense; info: RunInfo }> {
  const feeds: Record<string, Feed> = {};
  inputs.forEach((t, i) => { feeds[`x${i}`] = feedOf(t); });
  let outDType: DTypeName = 'float32';
  const fullKey = `${key}|${inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(';')}`;
  // outDType is needed even on a cache hit: compute it with a throwaway build of the graph's description
  const make = (): Uint8Array => {
    const g = new GraphBuilder();
    const names = inputs.map((t, i) => g.input(`x${i}`, feedDType(t.dtype), t.shape));
    const b = build(g, names);
    // float16/bfloat16 results travel as float32 and are rounded here (in JS) after the run: not every
    // WebGPU device has f16 shaders
    g.node('Identity', [b.out], {}, ['y']);
    g.output('y', feedDType(b.dtype), null);
    return g.encode();
  };
  {
    const g = new GraphBuilder();
    const names = inputs.map((t, i) => g.input(`x${i}`, feedDType(t.dtype), t.shape));
    outDType = build(g, names).dtype;
  }
  const { outputs, info } = await runGraph({ key: fullKey, op, build: make, feeds, providers: opts.providers });
  const y = outputs.y;
  const data = outDType === 'float16' || outDType === 'bfloat16' ? roundTo16(outDType, y.data as Float32Array) : y.data;
  return { tensor: makeDense(outDType, y.shape, data), info };
}

/** float32 values rounded to float16 / bfloat16 (round to nearest even), still as float32. */
export function roundTo16(d: 'float16' | 'bfloat16', v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  if (d === 'float16') {
    for (let i = 0; i < v.length; i++) out[i] = HALF_TABLE[floatToHalf(v[i])];
    return out;
  }
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const o = new Uint32Array(out.buffer);
  for (let i = 0; i < v.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) { o[i] = x | 0x400000; continue; }
    o[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16;
  }
  return out;
}

const RANK: DTypeName[] = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64'];

/** torch.result_type for two tensors of the dtypes the compute layer handles. */
export function promote(a: DTypeName, b: DTypeName): DTypeName {
  if (a === b) return a;
  if ((a === 'uint8' && b === 'int8') || (a === 'int8' && b === 'uint8')) return 'int16';
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return RANK.indexOf(a) >= RANK.indexOf(b) ? a : b;
}

/** ONNX element code for Cast's `to` (in the feed dtype space: float16/bfloat16 travel as float32). */
export function castCode(d: DTypeName): number {
  const codes: Partial<Record<DTypeName, number>> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11 };
  const c = codes[feedDType(d)];
  if (c === undefined) throw new Error(`no cast to ${d}`);
  return c;
}

/** Cast a graph value from one dtype to another (no-op when the feed dtypes agree). */
export function castValue(g: GraphBuilder, v: string, from: DTypeName, to: DTypeName): string {
  if (feedDType(from) === feedDType(to) && from === to) return v;
  // float16/bfloat16 values travel as float32; execGraph rounds a 16-bit result after the run
  if (feedDType(from) === feedDType(to)) return v;
  return g.node('Cast', [v], { to: castCode(to) });
}

/** Normalize a possibly negative dim against a rank (torch's wrap_dim), with torch's error wording. */
export function wrapDim(dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  return dim < 0 ? dim + r : dim;
}
