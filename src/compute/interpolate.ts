/**
 * `torch.nn.functional.interpolate` as ONNX Resize (nearest, linear, bilinear, bicubic, trilinear) and, for
 * `area` (adaptive average pooling) and `bicubic`, one weight-matrix MatMul per spatial axis (both are separable;
 * the weights follow torch's index and coefficient rules exactly). Output sizes and source
 * coordinates follow torch: size or floor(in × scale_factor); a given scale_factor is used for the mapping
 * (recompute_scale_factor=None); align_corners=False ↔ half_pixel (linear clamps at 0 as torch does),
 * align_corners=True ↔ align_corners, nearest ↔ asymmetric + floor; bicubic a = −0.75, edge taps clamped.
 */
import type { DTypeName } from '../core/dtype';
import type { Dense } from './dense';
import { isFloat, shapeText } from './dense';
import type { ExecOptions } from './exec';
import { execGraph } from './exec';
import type { GraphBuilder } from './graph';
import type { RunInfo } from './session';

/** Largest in × out weight matrix used for a separable bicubic axis; larger axes use gathered taps. */
const MAX_DENSE_WEIGHTS = 1 << 22;

/** Longest axis (input or output) given to onnxruntime's linear Resize; longer axes use gathered taps. */
const MAX_RESIZE_AXIS = 1024;

export type InterpMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

const MODE_RANK: Record<InterpMode, number | null> = { nearest: null, area: null, linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };

export interface InterpolateArgs {
  size?: number[];
  scaleFactor?: number[];
  mode: InterpMode;
  /** undefined = not given (torch's None) */
  alignCorners?: boolean;
}

export function isInterpMode(s: string): s is InterpMode {
  return s in MODE_RANK;
}

/** Checks torch makes, with its reasons; returns the output spatial size and per-axis scales (or null). */
export function planInterpolate(shape: readonly number[], a: InterpolateArgs): { outSize: number[]; scales: number[] | null } {
  const rank = shape.length;
  if (rank < 3 || rank > 5) {
    throw new Error(`interpolate expects a 3-D (N×C×W), 4-D (N×C×H×W) or 5-D (N×C×D×H×W) input; got ${rank}-D (${shapeText(shape)})`);
  }
  const need = MODE_RANK[a.mode];
  if (need !== null && need !== rank) throw new Error(`Got ${rank}D input, but ${a.mode} mode needs ${need}D input (${shapeText(shape)})`);
  if (a.alignCorners !== undefined && (a.mode === 'nearest' || a.mode === 'area')) {
    throw new Error('align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
  }
  const spatial = shape.slice(2);
  const n = spatial.length;
  if ((a.size === undefined) === (a.scaleFactor === undefined)) throw new Error('interpolate needs exactly one of size or scale_factor');
  if (a.size) {
    const size = a.size.length === 1 ? new Array<number>(n).fill(a.size[0]) : a.size;
    if (size.length !== n) throw new Error(`Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and output size of [${a.size.join(', ')}]. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`);
    if (size.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`interpolate: output sizes must be positive integers, got ${size.join(',')}`);
    return { outSize: size, scales: null };
  }
  const sf = (a.scaleFactor as number[]).length === 1 ? new Array<number>(n).fill((a.scaleFactor as number[])[0]) : (a.scaleFactor as number[]);
  if (sf.length !== n) throw new Error(`Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and scale_factor of shape [${sf.join(', ')}].`);
  const outSize = spatial.map((d, i) => Math.floor(d * sf[i]));
  if (outSize.some((s) => s <= 0)) throw new Error(`interpolate: scale_factor ${sf.join(',')} gives an empty output (${outSize.join('×')})`);
  return { outSize, scales: sf };
}

/** (out × in) matrix of adaptive-average-pool weights along one axis (torch's start/end index rule). */
function adaptiveWeights(inSize: number, outSize: number): Float64Array {
  const w = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const start = Math.floor((o * inSize) / outSize);
    const end = Math.ceil(((o + 1) * inSize) / outSize);
    for (let i = start; i < end; i++) w[o * inSize + i] = 1 / (end - start);
  }
  return w;
}

/**
 * torch's bicubic weights along one axis as an (out × in) matrix: source coordinate as
 * `area_pixel_compute_source_index` (cubic: not clamped), 4 taps with A = −0.75, taps clamped to the edge
 * (`upsample_get_value_bounded`).
 */
function bicubicTaps(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): { idx: Int32Array; w: Float64Array } {
  // in float64: torch's float32 kernel rounds source coordinates (errors ~1e-4 on axes of thousands of
  // pixels, see the tests); these weights are the exact ones
  const A = -0.75;
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : scaleFactor && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize;
  const idx = new Int32Array(outSize * 4);
  const w = new Float64Array(outSize * 4);
  const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  for (let o = 0; o < outSize; o++) {
    const real = alignCorners ? scale * o : scale * (o + 0.5) - 0.5;
    const i0 = Math.floor(real);
    const t = real - i0;
    const coeffs = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let k = 0; k < 4; k++) {
      idx[o * 4 + k] = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      w[o * 4 + k] = coeffs[k];
    }
  }
  return { idx, w };
}

function bicubicWeights(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): Float64Array {
  const { idx, w } = bicubicTaps(inSize, outSize, alignCorners, scaleFactor);
  const m = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) for (let k = 0; k < 4; k++) m[o * inSize + idx[o * 4 + k]] += w[o * 4 + k];
  return m;
}

/** torch's linear taps along one axis (2 per output; source index clamped at 0 when not align_corners). */
function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): { idx: Int32Array; w: Float64Array } {
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : scaleFactor && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize;
  const idx = new Int32Array(outSize * 2);
  const w = new Float64Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    const real = alignCorners ? scale * o : Math.max(scale * (o + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(real), inSize - 1);
    const l1 = real - i0;
    idx[o * 2] = i0;
    idx[o * 2 + 1] = Math.min(i0 + 1, inSize - 1);
    w[o * 2] = 1 - l1;
    w[o * 2 + 1] = l1;
  }
  return { idx, w };
}

/** Interpolation along one axis as K Gathers of the (clamped) taps, weighted and summed. */
function gatherAxis(g: GraphBuilder, x: string, rank: number, axis: number, taps: { idx: Int32Array; w: Float64Array }, outSize: number, dtype: 'float32' | 'float64'): string {
  const K = taps.idx.length / outSize;
  let acc = '';
  for (let k = 0; k < K; k++) {
    const ids = Array.from({ length: outSize }, (_, o) => taps.idx[o * K + k]);
    const ws = Array.from({ length: outSize }, (_, o) => taps.w[o * K + k]);
    const wShape = [outSize, ...new Array<number>(rank - axis - 1).fill(1)];
    const term = g.node('Mul', [g.node('Gather', [x, g.int64s(ids)], { axis }), g.floats(ws, dtype, wShape)]);
    acc = acc ? g.node('Add', [acc, term]) : term;
  }
  return acc;
}

/** Apply an (out × in) matrix along each spatial axis that has one: one MatMul per axis. */
function separableGraph(g: GraphBuilder, x: string, shape: readonly number[], mats: (Float64Array | null)[], outSize: number[], dtype: 'float32' | 'float64'): string {
  const rank = shape.length;
  let v = x;
  for (let k = 0; k < outSize.length; k++) {
    const w = mats[k];
    if (!w) continue;
    const axis = 2 + k;
    const inSize = shape[axis];
    // transposed weights (in × out) so that the axis, moved last, is contracted: [..., in] @ [in, out]
    const wt = new Float64Array(inSize * outSize[k]);
    for (let o = 0; o < outSize[k]; o++) for (let i = 0; i < inSize; i++) wt[i * outSize[k] + o] = w[o * inSize + i];
    const c = g.floats(wt, dtype, [inSize, outSize[k]]);
    if (axis === rank - 1) {
      v = g.node('MatMul', [v, c]);
    } else {
      const perm = Array.from({ length: rank }, (_, i) => i);
      perm[axis] = rank - 1;
      perm[rank - 1] = axis;
      v = g.node('Transpose', [g.node('MatMul', [g.node('Transpose', [v], { perm }), c])], { perm });
    }
  }
  return v === x ? g.node('Identity', [x]) : v;
}

/**
 * The interpolate graph on value `x` of `shape` (feed dtype float32/float64; `dtype` is the tensor's own), as used
 * by the op and by chains; returns the output value and shape.
 */
export function interpolateGraph(g: GraphBuilder, x: string, shape: readonly number[], dtype: DTypeName, a: InterpolateArgs): { out: string; outShape: number[] } {
  const plan = planInterpolate(shape, a);
  const alignCorners = a.alignCorners ?? false;
  const outShape = [shape[0], shape[1], ...plan.outSize];
  const body = (): string => {
    const feed = dtype === 'float64' ? 'float64' : 'float32';
    const spatial = shape.slice(2);
    if (a.mode === 'area') {
      if (spatial.every((d, k) => d >= plan.outSize[k] && d % plan.outSize[k] === 0)) {
        // whole-number downscale: adaptive pooling is a plain average pool with kernel = stride = in/out
        const kernel = spatial.map((d, k) => d / plan.outSize[k]);
        return g.node('AveragePool', [x], { kernel_shape: kernel, strides: kernel });
      }
      const mats = spatial.map((d, k) => (d === plan.outSize[k] ? null : adaptiveWeights(d, plan.outSize[k])));
      return separableGraph(g, x, shape, mats, plan.outSize, feed);
    }
    if (a.mode === 'bicubic') {
      // separable, as torch computes it (onnxruntime's cubic Resize is slower and rounds its source coordinates
      // differently, which shows on large sizes): small axes as a weight MatMul, large ones as 4 gathered taps
      if (spatial.every((d, k) => d * plan.outSize[k] <= MAX_DENSE_WEIGHTS)) {
        const mats = spatial.map((d, k) => bicubicWeights(d, plan.outSize[k], alignCorners, plan.scales?.[k]));
        return separableGraph(g, x, shape, mats, plan.outSize, feed);
      }
      let v = x;
      spatial.forEach((d, k) => { v = gatherAxis(g, v, shape.length, 2 + k, bicubicTaps(d, plan.outSize[k], alignCorners, plan.scales?.[k]), plan.outSize[k], feed); });
      return v;
    }
    if (a.mode !== 'nearest' && spatial.some((d, k) => Math.max(d, plan.outSize[k]) > MAX_RESIZE_AXIS)) {
      // onnxruntime's linear Resize rounds source coordinates in float32 its own way, visibly so on long
      // axes; there, gather torch's exact taps instead
      let v = x;
      spatial.forEach((d, k) => {
        if (d !== plan.outSize[k] || alignCorners) v = gatherAxis(g, v, shape.length, 2 + k, linearTaps(d, plan.outSize[k], alignCorners, plan.scales?.[k]), plan.outSize[k], feed);
      });
      return v === x ? g.node('Identity', [x]) : v;
    }
    let v = x;
    let inShape = [...shape];
    let outSize = plan.outSize;
    let scales = plan.scales;
    const oneD = shape.length === 3;
    if (oneD) {
      // onnxruntime resizes the two innermost axes; carry 1-D as N×C×1×W
      inShape = [shape[0], shape[1], 1, shape[2]];
      v = g.node('Reshape', [v, g.int64s(inShape)]);
      outSize = [1, outSize[0]];
      scales = scales ? [1, scales[0]] : null;
    }
    const attrs: Record<string, number | string | { float: number }> = {};
    if (a.mode === 'nearest') {
      attrs.mode = 'nearest';
      attrs.coordinate_transformation_mode = 'asymmetric';
      attrs.nearest_mode = 'floor';
    } else {
      attrs.mode = 'linear';
      attrs.coordinate_transformation_mode = alignCorners ? 'align_corners' : 'half_pixel';
    }
    const roi = '';
    let resized: string;
    if (scales) {
      resized = g.node('Resize', [v, roi, g.floats([1, 1, ...scales], 'float32', [2 + scales.length])], attrs);
    } else {
      resized = g.node('Resize', [v, roi, '', g.int64s([inShape[0], inShape[1], ...outSize])], attrs);
    }
    if (oneD) resized = g.node('Reshape', [resized, g.int64s(outShape)]);
    return resized;
  };
  return { out: body(), outShape };
}

export async function interpolate(t: Dense, a: InterpolateArgs, opts: ExecOptions): Promise<{ tensor: Dense; info: RunInfo }> {
  if (!isFloat(t.dtype) && !(a.mode === 'nearest' && t.dtype === 'uint8')) {
    throw new Error(`interpolate (${a.mode}) needs a floating-point input, got ${t.dtype}`);
  }
  const plan = planInterpolate(t.shape, a);
  const alignCorners = a.alignCorners ?? false;
  const key = `interpolate:${a.mode}:${alignCorners}:${plan.scales ? `sf=${plan.scales.join(',')}` : `size=${plan.outSize.join(',')}`}`;
  const outShape = [t.shape[0], t.shape[1], ...plan.outSize];
  const res = await execGraph(key, [t], (g, [x]) => ({ out: interpolateGraph(g, x, t.shape, t.dtype, a).out, dtype: t.dtype }), opts, `interpolate ${a.mode}`);
  if (res.tensor.shape.join(',') !== outShape.join(',')) {
    throw new Error(`interpolate: onnxruntime produced ${shapeText(res.tensor.shape)} where torch gives ${shapeText(outShape)}; pass size= instead of scale_factor=`);
  }
  return res;
}
