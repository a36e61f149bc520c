/**
 * Metric checks between a prediction and a target (same or broadcastable shapes). Each metric is one or two
 * small ONNX graphs producing partial sums over a 1-D chunk of symbolic length; the partial sums are combined
 * in float64 here, so any size runs in chunks and per-sample values reuse the same session.
 *
 *   iou          |P∩T| / |P∪T| with P = pred ≥ threshold (0.5), T = target ≥ 0.5; 1.0 when both are empty
 *   cc           Pearson correlation (two passes: means, then centred sums)
 *   mae          mean |pred − target|
 *   max_abs_diff max |pred − target|
 *   cosine       cosine similarity of the flattened tensors (torch's eps = 1e-8 on each norm)
 *   allclose     |pred − target| ≤ atol + rtol·|target| everywhere (rtol 1e-5, atol 1e-8 as torch); count and worst element
 *   kld          Σ t·log(ε + t/(p + ε)), p and t each normalized to sum 1, ε = 1e-12
 *   sim          Σ min(p, t), p and t each normalized to sum 1
 * `reduction=per_sample`: one value per index of dim 0, and their mean as `value`.
 */
import type { JsonValue } from '../core/model';
import { contiguousStrides, numelOf } from '../core/layout';
import type { Dense } from './dense';
import { gatherStrided, shapeText, strideOf, toFloat32 } from './dense';
import type { ExecOptions } from './exec';
import { chunkSize } from './exec';
import { GraphBuilder } from './graph';
import type { Params } from './params';
import type { ProviderChoice, ProviderName } from './providers';
import type { RunInfo } from './session';
import { runGraph } from './session';
import { broadcastShapes } from './shapes';
import { materialize } from './views';
import { opError } from './opError';

export const METRICS = ['iou', 'cc', 'mae', 'max_abs_diff', 'cosine', 'allclose', 'kld', 'sim'] as const;
export type MetricName = typeof METRICS[number];

export const METRIC_PARAMS: Record<MetricName, Record<string, string>> = {
  iou: { threshold: '0.5', reduction: 'none' },
  cc: { reduction: 'none' },
  mae: { reduction: 'none' },
  max_abs_diff: { reduction: 'none' },
  cosine: { reduction: 'none' },
  allclose: { rtol: '1e-05', atol: '1e-08', reduction: 'none' },
  kld: { reduction: 'none' },
  sim: { reduction: 'none' },
};

export function isMetricName(s: string): s is MetricName {
  return (METRICS as readonly string[]).includes(s);
}

export interface MetricResult {
  metric: MetricName;
  /** the metric (allclose: true/false); with per_sample, the mean of `perSample` */
  value: number | boolean;
  perSample?: (number | boolean)[];
  /** metric-specific facts: allclose's count and worst element, iou's intersection and union, … */
  details: Record<string, JsonValue>;
  shape: number[];
  provider: ProviderName;
  /** why that provider ran */
  reason: string;
  sessionMs: number;
  runMs: number;
  runs: number;
  fallbacks: { provider: ProviderName; error: string }[];
}

const EPS = 1e-12;

/** A partial-sums graph over inputs p, t (float32 [n]) and scalar float inputs; outputs are float32 scalars. */
interface PartialGraph {
  key: string;
  scalars: string[];
  outputs: string[];
  build(g: GraphBuilder, p: string, t: string, s: Record<string, string>): Record<string, string>;
}

const sum = (g: GraphBuilder, v: string): string => g.node('ReduceSum', [v, g.int64s([0])], { keepdims: 0 });
const countOf = (g: GraphBuilder, b: string): string => sum(g, g.node('Cast', [b], { to: 1 }));
const absDiff = (g: GraphBuilder, p: string, t: string): string => g.node('Abs', [g.node('Sub', [p, t])]);

const GRAPHS: Record<string, PartialGraph> = {
  sums: { key: 'sums', scalars: [], outputs: ['sp', 'st'], build: (g, p, t) => ({ sp: sum(g, p), st: sum(g, t) }) },
  mae: { key: 'mae', scalars: [], outputs: ['sad'], build: (g, p, t) => ({ sad: sum(g, absDiff(g, p, t)) }) },
  max_abs_diff: { key: 'maxad', scalars: [], outputs: ['mad'], build: (g, p, t) => ({ mad: g.node('ReduceMax', [absDiff(g, p, t)], { axes: [0], keepdims: 0 }) }) },
  iou: {
    key: 'iou', scalars: ['th'], outputs: ['inter', 'union'],
    build: (g, p, t, s) => {
      const P = g.node('GreaterOrEqual', [p, s.th]);
      const T = g.node('GreaterOrEqual', [t, g.floats([0.5])]);
      return { inter: countOf(g, g.node('And', [P, T])), union: countOf(g, g.node('Or', [P, T])) };
    },
  },
  cosine: {
    key: 'cosine', scalars: [], outputs: ['spt', 'spp', 'stt'],
    build: (g, p, t) => ({ spt: sum(g, g.node('Mul', [p, t])), spp: sum(g, g.node('Mul', [p, p])), stt: sum(g, g.node('Mul', [t, t])) }),
  },
  cc2: {
    key: 'cc2', scalars: ['mp', 'mt'], outputs: ['sxy', 'sxx', 'syy'],
    build: (g, p, t, s) => {
      const x = g.node('Sub', [p, s.mp]);
      const y = g.node('Sub', [t, s.mt]);
      return { sxy: sum(g, g.node('Mul', [x, y])), sxx: sum(g, g.node('Mul', [x, x])), syy: sum(g, g.node('Mul', [y, y])) };
    },
  },
  allclose: {
    key: 'allclose', scalars: ['rtol', 'atol'], outputs: ['bad', 'worst', 'excess'],
    build: (g, p, t, s) => {
      const d = absDiff(g, p, t);
      const tol = g.node('Add', [s.atol, g.node('Mul', [s.rtol, g.node('Abs', [t])])]);
      const ex = g.node('Sub', [d, tol]);
      const worst = g.node('ArgMax', [ex], { axis: 0, keepdims: 0 });
      return {
        bad: countOf(g, g.node('Not', [g.node('LessOrEqual', [d, tol])])),
        worst,
        excess: g.node('ReduceMax', [ex], { axes: [0], keepdims: 0 }),
      };
    },
  },
  kld2: {
    key: 'kld2', scalars: ['sp', 'st'], outputs: ['k'],
    build: (g, p, t, s) => {
      const eps = g.floats([EPS]);
      const pn = g.node('Div', [p, s.sp]);
      const tn = g.node('Div', [t, s.st]);
      const ratio = g.node('Div', [tn, g.node('Add', [pn, eps])]);
      return { k: sum(g, g.node('Mul', [tn, g.node('Log', [g.node('Add', [eps, ratio])])])) };
    },
  },
  sim2: {
    key: 'sim2', scalars: ['sp', 'st'], outputs: ['s'],
    build: (g, p, t, s) => ({ s: sum(g, g.node('Min', [g.node('Div', [p, s.sp]), g.node('Div', [t, s.st])])) }),
  },
};

function buildPartial(pg: PartialGraph): Uint8Array {
  const g = new GraphBuilder();
  const p = g.input('p', 'float32', ['n']);
  const t = g.input('t', 'float32', ['n']);
  const s: Record<string, string> = {};
  for (const name of pg.scalars) s[name] = g.input(name, 'float32', []);
  const outs = pg.build(g, p, t, s);
  for (const name of pg.outputs) {
    g.node('Identity', [outs[name]], {}, [`o_${name}`]);
    g.output(`o_${name}`, name === 'worst' ? 'int64' : 'float32', []);
  }
  return g.encode(pg.key);
}

class Runner {
  info: RunInfo | null = null;
  sessionMs = 0;
  runMs = 0;
  runs = 0;
  constructor(private readonly opts: ExecOptions) {}

  /** Run a partial graph chunk by chunk over p, t; returns per-output float64 totals (and, for allclose, the worst index). */
  async partial(name: keyof typeof GRAPHS, p: Float32Array, t: Float32Array, scalars: Record<string, number> = {}): Promise<{ sums: Record<string, number>; worst?: number }> {
    const pg = GRAPHS[name];
    const chunk = chunkSize(this.opts);
    const sums: Record<string, number> = {};
    let bestExcess = -Infinity;
    let worst: number | undefined;
    for (let start = 0; start < p.length || start === 0; start += chunk) {
      const len = Math.min(chunk, p.length - start);
      const feeds: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {
        p: { dtype: 'float32', shape: [len], data: p.subarray(start, start + len) },
        t: { dtype: 'float32', shape: [len], data: t.subarray(start, start + len) },
      };
      for (const k of pg.scalars) feeds[k] = { dtype: 'float32', shape: [], data: Float32Array.of(scalars[k]) };
      const { outputs, info } = await runGraph({ key: `metric:${pg.key}`, op: `metric ${pg.key}`, build: () => buildPartial(pg), feeds, providers: this.opts.providers });
      this.info = info;
      this.sessionMs += info.sessionMs;
      this.runMs += info.runMs;
      this.runs++;
      for (const o of pg.outputs) {
        const raw = outputs[`o_${o}`].data;
        const v = typeof raw[0] === 'bigint' ? Number(raw[0]) : (raw[0] as number);
        if (o === 'worst') continue;
        if (o === 'mad') sums[o] = Math.max(sums[o] ?? -Infinity, v);
        else if (o === 'excess') {
          if (v > bestExcess || worst === undefined) {
            bestExcess = v;
            const w = outputs.o_worst.data[0];
            worst = start + (typeof w === 'bigint' ? Number(w) : (w as number));
          }
          sums[o] = Math.max(sums[o] ?? -Infinity, v);
        } else sums[o] = (sums[o] ?? 0) + v;
      }
      if (len <= 0) break;
    }
    return { sums, worst };
  }
}

/** The metric over one flat pair. */
async function metricFlat(m: MetricName, p: Float32Array, t: Float32Array, params: Params, r: Runner): Promise<{ value: number | boolean; details: Record<string, JsonValue> }> {
  const n = p.length;
  switch (m) {
    case 'mae': return { value: (await r.partial('mae', p, t)).sums.sad / n, details: {} };
    case 'max_abs_diff': return { value: (await r.partial('max_abs_diff', p, t)).sums.mad, details: {} };
    case 'iou': {
      const th = params.num('threshold', 0.5) as number;
      const { inter, union } = (await r.partial('iou', p, t, { th })).sums;
      return { value: union === 0 ? 1 : inter / union, details: { intersection: inter, union, threshold: th } };
    }
    case 'cosine': {
      const { spt, spp, stt } = (await r.partial('cosine', p, t)).sums;
      return { value: spt / (Math.max(Math.sqrt(spp), 1e-8) * Math.max(Math.sqrt(stt), 1e-8)), details: {} };
    }
    case 'cc': {
      const { sp, st } = (await r.partial('sums', p, t)).sums;
      const { sxy, sxx, syy } = (await r.partial('cc2', p, t, { mp: sp / n, mt: st / n })).sums;
      return { value: sxy / Math.sqrt(sxx * syy), details: {} };
    }
    case 'kld': case 'sim': {
      const { sp, st } = (await r.partial('sums', p, t)).sums;
      if (m === 'kld') return { value: (await r.partial('kld2', p, t, { sp, st })).sums.k, details: { pred_sum: sp, target_sum: st } };
      return { value: (await r.partial('sim2', p, t, { sp, st })).sums.s, details: { pred_sum: sp, target_sum: st } };
    }
    case 'allclose': {
      const rtol = params.num('rtol', 1e-5) as number;
      const atol = params.num('atol', 1e-8) as number;
      const res = await r.partial('allclose', p, t, { rtol, atol });
      const bad = res.sums.bad;
      const w = res.worst ?? 0;
      return {
        value: bad === 0,
        details: { count: bad, total: n, rtol, atol, worst_index: w, worst_pred: p[w] ?? null, worst_target: t[w] ?? null, worst_abs_diff: n ? Math.abs(p[w] - t[w]) : null },
      };
    }
  }
}

function broadcastTo(x: Dense, shape: number[]): Dense {
  if (x.shape.join(',') === shape.join(',')) return x;
  const s = strideOf(x);
  const lead = shape.length - x.shape.length;
  const stride = shape.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : s[i - lead]));
  return gatherStrided({ ...x, shape, stride, offset: x.offset ?? 0 });
}

function unravel(index: number, shape: readonly number[]): number[] {
  const st = contiguousStrides(shape);
  return st.map((s, i) => Math.floor(index / s) % Math.max(shape[i], 1));
}

export async function runMetric(name: string, pred: Dense, target: Dense, params: Params, providers: ProviderChoice, opts?: { chunkElements?: number }): Promise<MetricResult> {
  if (!isMetricName(name)) throw new Error(`unknown metric '${name}' (metrics: ${METRICS.join(', ')})`);
  try {
    return await metricOf(name, pred, target, params, providers, opts);
  } catch (e) {
    throw opError(name, e);
  }
}

async function metricOf(name: MetricName, pred: Dense, target: Dense, params: Params, providers: ProviderChoice, opts?: { chunkElements?: number }): Promise<MetricResult> {
  const unknown = Object.keys(params.toRecord()).filter((k) => !(k in METRIC_PARAMS[name]));
  if (unknown.length) throw new Error(`${name} has no parameter ${unknown.join(', ')} (parameters: ${Object.keys(METRIC_PARAMS[name]).join(', ')})`);
  const reduction = params.str('reduction', 'none');
  if (reduction !== 'none' && reduction !== 'per_sample') throw new Error(`reduction must be none or per_sample, got '${reduction}'`);
  for (const [what, x] of [['pred', pred], ['target', target]] as const) {
    if (x.dtype === 'complex64' || x.dtype === 'complex128' || x.dtype === 'object' || x.dtype === 'unknown') throw new Error(`${what} has dtype ${x.dtype}: metrics need real numbers`);
  }
  const shape = broadcastShapes(pred.shape, target.shape, 'pred and target');
  const ex: ExecOptions = { providers, chunkElements: opts?.chunkElements };
  const pa = broadcastTo((await materialize(pred, ex)).tensor, shape);
  const ta = broadcastTo((await materialize(target, ex)).tensor, shape);
  const p = toFloat32(pa.data);
  const t = toFloat32(ta.data);
  const r = new Runner(ex);
  let value: number | boolean;
  let details: Record<string, JsonValue>;
  let perSample: (number | boolean)[] | undefined;
  if (reduction === 'per_sample') {
    if (shape.length === 0 || shape[0] === 0) throw new Error(`reduction=per_sample needs a leading dimension; the shape is ${shapeText(shape)}`);
    const per = numelOf(shape) / shape[0];
    perSample = [];
    const sampleDetails: JsonValue[] = [];
    for (let i = 0; i < shape[0]; i++) {
      const one = await metricFlat(name, p.subarray(i * per, (i + 1) * per), t.subarray(i * per, (i + 1) * per), params, r);
      perSample.push(one.value);
      sampleDetails.push(one.details);
    }
    value = name === 'allclose' ? perSample.every(Boolean) : (perSample as number[]).reduce((a, b) => a + b, 0) / perSample.length;
    details = { per_sample_details: sampleDetails };
  } else {
    const one = await metricFlat(name, p, t, params, r);
    value = one.value;
    details = one.details;
    if (name === 'allclose' && typeof details.worst_index === 'number') details.worst_location = unravel(details.worst_index, shape);
  }
  const info = r.info as RunInfo;
  return { metric: name, value, perSample, details, shape, provider: info.provider, reason: info.reason, sessionMs: r.sessionMs, runMs: r.runMs, runs: r.runs, fallbacks: info.fallbacks };
}
