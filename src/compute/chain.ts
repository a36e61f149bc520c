/**
 * Chains of single-input ops whose intermediate results never come back to the host: `interpolate` (every mode),
 * `softmax`, `sum` / `mean` / `amax`, `permute` (materialized). Each step's graph is the op's own definition
 * (interpolateGraph, softmaxNode, reduceNode + reduceAxes, Transpose), so an op is defined once for single runs
 * and chains; shapes are checked up front as the ops check them.
 *   runOpChain(steps, input, choice)                 the steps composed into ONE graph: every intermediate stays
 *                                                    on the device that runs it, on any provider (CUDA included)
 *   runOpChain(steps, input, 'webgpu', 'sessions')   one session per step, WebGPU outputs kept as GPU buffers and
 *                                                    bound as the next session's input (session.ts `runChain`)
 * Why both: onnxruntime-node 1.30 keeps outputs on the device (`preferredOutputLocation: 'gpu-buffer'`) for WebGPU
 * only, and cannot download them; one graph needs no binding at all (README "GPU compute").
 */
import type { DTypeName } from '../core/dtype';
import { wrapDim } from './exec';
import { GraphBuilder } from './graph';
import { interpolateGraph, isInterpMode } from './interpolate';
import { softmaxNode } from './ops';
import { Params } from './params';
import type { ProviderChoice, ProviderName } from './providers';
import { reduceAxes, reduceNode } from './reduce';
import type { ChainStage, Feed, RunInfo } from './session';
import { runChain, runGraph } from './session';

export interface ChainStep {
  op: string;
  params: Record<string, string>;
}

/** One step's graph on value `x` of `shape`: its output value and shape. */
type StepGraph = (g: GraphBuilder, x: string) => string;

/** Each step's graph and the shape after it; throws with the op's reason when a step can't apply. */
export function chainSteps(steps: readonly ChainStep[], inputShape: readonly number[], dtype: DTypeName): { graphs: { key: string; inShape: number[]; graph: StepGraph }[]; shape: number[] } {
  let shape = [...inputShape];
  const graphs: { key: string; inShape: number[]; graph: StepGraph }[] = [];
  for (const s of steps) {
    const p = Params.parse(s.params);
    const key = `${s.op}:${JSON.stringify(s.params)}`;
    const inShape = [...shape];
    switch (s.op) {
      case 'interpolate': {
        const mode = p.str('mode', 'nearest') as string;
        if (!isInterpMode(mode)) throw new Error(`chain: interpolate: unknown mode '${mode}' (nearest, linear, bilinear, bicubic, trilinear, area)`);
        const args = { size: p.ints('size'), scaleFactor: p.nums('scale_factor'), mode, alignCorners: p.has('align_corners') ? p.bool('align_corners', false) : undefined };
        const probe = interpolateGraph(new GraphBuilder(), 'x', inShape, dtype, args);
        graphs.push({ key, inShape, graph: (g, x) => interpolateGraph(g, x, inShape, dtype, args).out });
        shape = probe.outShape;
        break;
      }
      case 'softmax': {
        const dim = wrapDim(p.int('dim') as number, shape.length);
        graphs.push({ key, inShape, graph: (g, x) => softmaxNode(g, x, dim, inShape.length) });
        break;
      }
      case 'sum': case 'mean': case 'amax': {
        const kind = s.op;
        const keep = p.bool('keepdim', false);
        const { axes, outShape } = reduceAxes(shape, p.ints('dim'), keep);
        graphs.push({ key, inShape, graph: (g, x) => reduceNode(g, kind, x, axes, keep) });
        shape = outShape;
        break;
      }
      case 'permute': {
        const dims = (p.ints('dims') ?? []).map((d) => wrapDim(d, shape.length));
        if (dims.length !== shape.length || new Set(dims).size !== dims.length) throw new Error(`chain: permute dims ${dims.join(',')} do not fit ${shape.join('×')}`);
        graphs.push({ key, inShape, graph: (g, x) => g.node('Transpose', [x], { perm: dims }) });
        shape = dims.map((d) => inShape[d]);
        break;
      }
      default:
        throw new Error(`chain: ${s.op} is not available in a chain (interpolate, softmax, sum, mean, amax, permute)`);
    }
  }
  return { graphs, shape };
}

/** One session per step (input `x`, output `y`), for `runChain`. */
export function chainStages(steps: readonly ChainStep[], inputShape: readonly number[], dtype: 'float32' | 'float64' = 'float32'): { stages: ChainStage[]; shape: number[] } {
  const { graphs, shape } = chainSteps(steps, inputShape, dtype);
  const stages = graphs.map(({ key, inShape, graph }) => ({
    key: `chain:${key}:${dtype}[${inShape.join(',')}]`,
    build: () => {
      const g = new GraphBuilder();
      g.node('Identity', [graph(g, g.input('x', dtype, inShape))], {}, ['y']);
      g.output('y', dtype, null);
      return g.encode('stage');
    },
  }));
  return { stages, shape };
}

/** All steps as one graph (input `x`, output `y`). */
export function chainGraph(steps: readonly ChainStep[], inputShape: readonly number[], dtype: 'float32' | 'float64'): { key: string; build: () => Uint8Array; shape: number[] } {
  const { graphs, shape } = chainSteps(steps, inputShape, dtype);
  return {
    key: `chain:${graphs.map((s) => s.key).join('>')}:${dtype}[${inputShape.join(',')}]`,
    build: () => {
      const g = new GraphBuilder();
      let v = g.input('x', dtype, inputShape);
      for (const s of graphs) v = s.graph(g, v);
      g.node('Identity', [v], {}, ['y']);
      g.output('y', dtype, null);
      return g.encode('chain');
    },
    shape,
  };
}

export interface ChainResult {
  output: { dtype: string; shape: number[]; data: Feed['data'] };
  sessionMs: number;
  runMs: number;
  /** the intermediates stayed on the device (always in one graph; on WebGPU with sessions, as GPU buffers) */
  resident: boolean;
  provider: ProviderName;
  reason: string;
}

export async function runOpChain(steps: readonly ChainStep[], input: Feed, providers: ProviderChoice | ProviderName, mode: 'one-graph' | 'sessions' = 'one-graph'): Promise<ChainResult> {
  if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new Error(`chain: needs a float32 or float64 input, got ${input.dtype}`);
  const choice: ProviderChoice = typeof providers === 'string' && providers !== 'auto' ? [providers] : providers;
  if (mode === 'sessions') {
    const provider = choice === 'auto' ? 'cpu' : choice[0];
    const { stages } = chainStages(steps, [...input.shape], input.dtype);
    const r = await runChain(stages, input, provider);
    return { ...r, provider, reason: `${provider}: one session per step${r.resident ? ', intermediates kept as GPU buffers' : ''}` };
  }
  const c = chainGraph(steps, [...input.shape], input.dtype);
  const { outputs, info }: { outputs: Record<string, ChainResult['output']>; info: RunInfo } = await runGraph({ key: c.key, op: `chain ${steps.map((s) => s.op).join('>')}`, build: c.build, feeds: { x: input }, providers: choice });
  return { output: outputs.y, sessionMs: info.sessionMs, runMs: info.runMs, resident: true, provider: info.provider, reason: info.reason };
}
