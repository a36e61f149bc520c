/**
 * The op table: torch names and parameters, inputs in torch's positional order. Each op checks shapes first,
 * then runs one small ONNX graph (views only change strides). `runOp(name, inputs, params, providers)`.
 */
import type { DTypeName } from '../core/dtype';
import { isDTypeName } from '../core/dtype';
import { inferShape, numelOf } from '../core/layout';
import type { Dense } from './dense';
import { isFloat, makeDense, shapeText } from './dense';
import type { ExecOptions } from './exec';
import { castValue, execGraph, promote, wrapDim } from './exec';
import type { GraphBuilder } from './graph';
import type { InterpolateArgs } from './interpolate';
import { interpolate, isInterpMode, planInterpolate } from './interpolate';
import { opError } from './opError';
import { Params } from './params';
import type { ProviderChoice } from './providers';
import { reduce, reduceAxes } from './reduce';
import type { RunInfo } from './session';
import { checkBmm, checkCat, checkMatmul } from './shapes';
import { materialize, permuteView, reshapeOf, transposeView, viewOf } from './views';

export interface OpResult {
  tensor: Dense;
  /** null when no graph ran (a view, or a result gathered in JS) */
  info: RunInfo | null;
  /** the result shares the input's storage (torch returns a view) */
  isView: boolean;
  notes: string[];
}

export interface OpSpec {
  name: string;
  /** torch signature, for help and quick inputs */
  signature: string;
  /** number of tensor inputs; -1 = one or more (cat, stack) */
  arity: number;
  /** parameter names with defaults as torch spells them ('' = required, 'None' = optional) */
  params: Record<string, string>;
  run(inputs: Dense[], p: Params, opts: ExecOptions): Promise<OpResult>;
  /** the checks `run` makes before anything runs (parameters against the inputs' shapes); throws the reason */
  check?(inputs: Dense[], p: Params): void;
}

const graphResult = (r: { tensor: Dense; info: RunInfo }, notes: string[] = []): OpResult => ({ tensor: r.tensor, info: r.info, isView: false, notes });

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`missing parameter ${what}`);
  return v;
}

async function packed(t: Dense, opts: ExecOptions): Promise<Dense> {
  return (await materialize(t, opts)).tensor;
}

function dimsParam(p: Params): number[] | undefined {
  return p.ints('dim');
}

const SPECS: OpSpec[] = [
  {
    name: 'permute', signature: 'permute(input, dims)', arity: 1, params: { dims: '' },
    check([x], p) { permuteView(x, required(p.ints('dims'), 'dims (e.g. dims=0,2,3,1)')); },
    async run([x], p) {
      const v = permuteView(x, required(p.ints('dims'), 'dims (e.g. dims=0,2,3,1)'));
      return { tensor: v, info: null, isView: true, notes: ['a view: same storage, permuted strides; contiguous() or --materialize copies it'] };
    },
  },
  {
    name: 'transpose', signature: 'transpose(input, dim0, dim1)', arity: 1, params: { dim0: '', dim1: '' },
    check([x], p) { transposeView(x, required(p.int('dim0'), 'dim0'), required(p.int('dim1'), 'dim1')); },
    async run([x], p) {
      const v = transposeView(x, required(p.int('dim0'), 'dim0'), required(p.int('dim1'), 'dim1'));
      return { tensor: v, info: null, isView: true, notes: ['a view: same storage, swapped strides'] };
    },
  },
  {
    name: 'view', signature: 'view(input, shape)', arity: 1, params: { shape: '' },
    check([x], p) { viewOf(x, required(p.ints('shape'), 'shape (e.g. shape=6,-1)')); },
    async run([x], p) {
      return { tensor: viewOf(x, required(p.ints('shape'), 'shape (e.g. shape=6,-1)')), info: null, isView: true, notes: ['a view: same storage'] };
    },
  },
  {
    name: 'reshape', signature: 'reshape(input, shape)', arity: 1, params: { shape: '' },
    check([x], p) { inferShape(required(p.ints('shape'), 'shape'), numelOf(x.shape)); },
    async run([x], p, opts) {
      const r = await reshapeOf(x, required(p.ints('shape'), 'shape'), opts);
      return { tensor: r.tensor, info: r.info, isView: !r.copied, notes: [r.copied ? 'copied: a view was not possible' : 'a view: same storage (reshape copies only when view is impossible)'] };
    },
  },
  {
    name: 'contiguous', signature: 'contiguous(input)', arity: 1, params: {},
    async run([x], _p, opts) {
      const r = await materialize(x, opts);
      return { tensor: r.tensor, info: r.info, isView: r.tensor.data === x.data, notes: r.tensor.data === x.data ? ['already contiguous: returns the input itself'] : [] };
    },
  },
  {
    name: 'cat', signature: 'cat(tensors, dim=0)', arity: -1, params: { dim: '0' },
    check(xs, p) { checkCat(xs.map((x) => x.shape), wrapDim(p.int('dim', 0) as number, xs[0].shape.length), 'cat'); },
    async run(xs, p, opts) {
      const dim = wrapDim(p.int('dim', 0) as number, xs[0].shape.length);
      checkCat(xs.map((x) => x.shape), dim, 'cat');
      const dtype = xs.map((x) => x.dtype).reduce(promote);
      const ins = await Promise.all(xs.map((x) => packed(x, opts)));
      return graphResult(await execGraph(`cat:${dim}`, ins, (g, names) => ({
        out: g.node('Concat', names.map((n, i) => castValue(g, n, ins[i].dtype, dtype)), { axis: dim }), dtype,
      }), opts));
    },
  },
  {
    name: 'stack', signature: 'stack(tensors, dim=0)', arity: -1, params: { dim: '0' },
    check(xs, p) { checkCat(xs.map((x) => x.shape), wrapDim(p.int('dim', 0) as number, xs[0].shape.length + 1), 'stack'); },
    async run(xs, p, opts) {
      const dim = wrapDim(p.int('dim', 0) as number, xs[0].shape.length + 1);
      checkCat(xs.map((x) => x.shape), dim, 'stack');
      const dtype = xs.map((x) => x.dtype).reduce(promote);
      const ins = await Promise.all(xs.map((x) => packed(x, opts)));
      return graphResult(await execGraph(`stack:${dim}`, ins, (g, names) => {
        const axes = g.int64s([dim]);
        return { out: g.node('Concat', names.map((n, i) => g.node('Unsqueeze', [castValue(g, n, ins[i].dtype, dtype), axes])), { axis: dim }), dtype };
      }, opts));
    },
  },
  {
    name: 'interpolate', signature: "interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None)", arity: 1,
    params: { size: 'None', scale_factor: 'None', mode: 'nearest', align_corners: 'None' },
    check([x], p) {
      const a = interpolateArgs(p);
      if (!isFloat(x.dtype) && !(a.mode === 'nearest' && x.dtype === 'uint8')) throw new Error(`interpolate (${a.mode}) needs a floating-point input, got ${x.dtype}`);
      planInterpolate(x.shape, a);
    },
    async run([x], p, opts) {
      return graphResult(await interpolate(await packed(x, opts), interpolateArgs(p), opts));
    },
  },
  {
    name: 'bmm', signature: 'bmm(input, mat2)', arity: 2, params: {},
    check([a, b]) { checkBmm(a.shape, b.shape); sameDType('bmm', a, b); },
    async run([a, b], _p, opts) {
      checkBmm(a.shape, b.shape);
      sameDType('bmm', a, b);
      const [x, y] = [await packed(a, opts), await packed(b, opts)];
      return graphResult(await execGraph('bmm', [x, y], (g, [n0, n1]) => ({ out: g.node('MatMul', [n0, n1]), dtype: a.dtype }), opts));
    },
  },
  {
    name: 'matmul', signature: 'matmul(input, other)', arity: 2, params: {},
    check([a, b]) { checkMatmul(a.shape, b.shape); sameDType('matmul', a, b); },
    async run([a, b], _p, opts) {
      const shape = checkMatmul(a.shape, b.shape);
      sameDType('matmul', a, b);
      const [x, y] = [await packed(a, opts), await packed(b, opts)];
      const r = await execGraph('matmul', [x, y], (g, [n0, n1]) => ({ out: g.node('MatMul', [n0, n1]), dtype: a.dtype }), opts);
      return graphResult({ tensor: { ...r.tensor, shape }, info: r.info });
    },
  },
  {
    name: 'batch_norm', signature: 'batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)',
    arity: -1, params: { eps: '1e-05' },
    check(_xs, p) { p.num('eps', 1e-5); },
    async run(xs, p, opts) {
      if (xs.length < 3 || xs.length > 5) throw new Error(`batch_norm takes input, running_mean, running_var and optionally weight and bias; got ${xs.length} tensor(s)`);
      const [input, mean, vari] = xs;
      const eps = p.num('eps', 1e-5) as number;
      if (input.shape.length < 2) throw new Error(`batch_norm expects an input of at least 2 dimensions (N×C×…); got ${shapeText(input.shape)}`);
      const c = input.shape[1];
      const names = ['running_mean', 'running_var', 'weight', 'bias'];
      xs.slice(1).forEach((t, i) => {
        if (t.shape.length !== 1 || t.shape[0] !== c) throw new Error(`batch_norm: ${names[i]} must have C = ${c} elements (input ${shapeText(input.shape)}); got ${shapeText(t.shape)}`);
        sameDType('batch_norm', input, t);
      });
      if (!isFloat(input.dtype)) throw new Error(`batch_norm needs a floating-point input, got ${input.dtype}`);
      const ones = makeDense(input.dtype, [c], input.dtype === 'float64' ? new Float64Array(c).fill(1) : new Float32Array(c).fill(1));
      const zeros = makeDense(input.dtype, [c], input.dtype === 'float64' ? new Float64Array(c) : new Float32Array(c));
      const ins = [await packed(input, opts), await packed(xs[3] ?? ones, opts), await packed(xs[4] ?? zeros, opts), await packed(mean, opts), await packed(vari, opts)];
      return graphResult(await execGraph(`batch_norm:${eps}`, ins, (g, [x, w, b, m, v]) => ({
        out: g.node('BatchNormalization', [x, w, b, m, v], { epsilon: { float: eps } }), dtype: input.dtype,
      }), opts));
    },
  },
  {
    name: 'softmax', signature: 'softmax(input, dim)', arity: 1, params: { dim: '' },
    check([x], p) {
      wrapDim(required(p.int('dim'), 'dim'), x.shape.length);
      if (!isFloat(x.dtype)) throw new Error(`softmax needs a floating-point input here, got ${x.dtype}; cast it first`);
    },
    async run([x], p, opts) {
      const dim = wrapDim(required(p.int('dim'), 'dim'), x.shape.length);
      if (!isFloat(x.dtype)) throw new Error(`softmax needs a floating-point input here (torch: "softmax_lastdim_kernel_impl" not implemented for '${x.dtype}'); cast it first`);
      const t = await packed(x, opts);
      return graphResult(await execGraph(`softmax:${dim}`, [t], (g, [n]) => ({ out: softmaxNode(g, n, dim, x.shape.length), dtype: x.dtype }), opts));
    },
  },
  ...(['sum', 'mean', 'amax'] as const).map((kind): OpSpec => ({
    name: kind, signature: `${kind}(input, dim=None, keepdim=False)`, arity: 1, params: { dim: 'None', keepdim: 'False' },
    check([x], p) { reduceAxes(x.shape, dimsParam(p), p.bool('keepdim', false)); },
    async run([x], p, opts) {
      return graphResult(await reduce(kind, await packed(x, opts), dimsParam(p), p.bool('keepdim', false), opts));
    },
  })),
  {
    name: 'to', signature: 'to(input, dtype)', arity: 1, params: { dtype: '' },
    check(_xs, p) { toDType(p); },
    async run([x], p, opts) {
      const to = toDType(p);
      const t = await packed(x, opts);
      if (to === x.dtype) return { tensor: t, info: null, isView: true, notes: ['same dtype: torch returns the input itself'] };
      return graphResult(await execGraph(`to:${to}`, [t], (g, [n]) => ({ out: castValue(g, n, x.dtype, to), dtype: to }), opts));
    },
  },
];

function interpolateArgs(p: Params): InterpolateArgs {
  const mode = p.str('mode', 'nearest') as string;
  if (!isInterpMode(mode)) throw new Error(`interpolate: unknown mode '${mode}' (nearest, linear, bilinear, bicubic, trilinear, area)`);
  const alignCorners = p.has('align_corners') ? p.bool('align_corners', false) : undefined;
  return { size: p.ints('size'), scaleFactor: p.nums('scale_factor'), mode, alignCorners };
}

function toDType(p: Params): DTypeName {
  const name = required(p.str('dtype'), 'dtype (e.g. dtype=float16)').replace(/^torch\./, '');
  const alias: Record<string, DTypeName> = { float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16' };
  const to = alias[name] ?? name;
  if (!isDTypeName(to)) throw new Error(`to: unknown dtype '${name}'`);
  return to;
}

/**
 * softmax along `dim`: onnxruntime's Softmax for the last axis; for another axis (where onnxruntime transposes
 * the whole tensor twice) exp(x − max) / Σ exp(x − max) with keepdims reductions.
 */
export function softmaxNode(g: GraphBuilder, x: string, dim: number, rank: number): string {
  if (dim === rank - 1) return g.node('Softmax', [x], { axis: dim });
  const e = g.node('Exp', [g.node('Sub', [x, g.node('ReduceMax', [x], { axes: [dim], keepdims: 1 })])]);
  return g.node('Div', [e, g.node('ReduceSum', [e, g.int64s([dim])], { keepdims: 1 })]);
}

function sameDType(op: string, a: Dense, b: Dense): void {
  if (a.dtype !== b.dtype) throw new Error(`${op} expects both tensors to have the same dtype; got ${a.dtype} and ${b.dtype} (cast one with the 'to' op)`);
}

export const OPS: ReadonlyMap<string, OpSpec> = new Map(SPECS.map((s) => [s.name, s]));

/**
 * The op's checks on these inputs and parameters, without running anything: null when it would run, else the
 * reason (as runOp would throw it). Used to validate a parameter line as it is typed.
 */
export function checkOp(name: string, inputs: Dense[], params: Params): string | null {
  try {
    const spec = specOf(name, inputs, params);
    spec.check?.(inputs, params);
    return null;
  } catch (e) {
    return opError(name, e).message;
  }
}

function specOf(name: string, inputs: Dense[], params: Params): OpSpec {
  const spec = OPS.get(name);
  if (!spec) throw new Error(`unknown op '${name}' (ops: ${[...OPS.keys()].join(', ')})`);
  if (spec.arity >= 0 && inputs.length !== spec.arity) throw new Error(`${spec.signature} takes ${spec.arity} tensor input(s); got ${inputs.length}`);
  if (spec.arity < 0 && inputs.length === 0) throw new Error(`${spec.signature} needs at least one tensor input`);
  const unknown = Object.keys(params.toRecord()).filter((k) => !(k in spec.params));
  if (unknown.length) throw new Error(`${name} has no parameter ${unknown.join(', ')} (${spec.signature})`);
  return spec;
}

export async function runOp(name: string, inputs: Dense[], params: Params, providers: ProviderChoice, opts?: { chunkElements?: number }): Promise<OpResult> {
  const spec = specOf(name, inputs, params);
  for (const t of inputs) if (numelOf(t.shape) > 0 && t.data.length === 0) throw new Error('input has no data');
  try {
    return await spec.run(inputs, params, { providers, chunkElements: opts?.chunkElements });
  } catch (e) {
    throw opError(name, e);
  }
}
