/**
 * Chains of single-input ops whose intermediate results stay on the device (see `runChain` in session.ts):
 * `interpolate` (nearest / linear / bilinear / trilinear through Resize), `softmax`, `sum` / `mean` / `amax`,
 * `permute` (materialized). Each step is one cached session; shapes are checked up front as the ops do.
 */
import type { DTypeName } from '../core/dtype';
import { wrapDim } from './exec';
import { GraphBuilder } from './graph';
import { isInterpMode, planInterpolate } from './interpolate';
import { softmaxNode } from './ops';
import { Params } from './params';
import type { ProviderName } from './providers';
import type { ChainStage, Feed } from './session';
import { runChain } from './session';

export interface ChainStep {
  op: string;
  params: Record<string, string>;
}

function stage(key: string, dtype: DTypeName, shape: number[], body: (g: GraphBuilder, x: string) => string): ChainStage {
  return {
    key: `chain:${key}:${dtype}[${shape.join(',')}]`,
    build: () => {
      const g = new GraphBuilder();
      const x = g.input('x', dtype, shape);
      g.node('Identity', [body(g, x)], {}, ['y']);
      g.output('y', dtype, null);
      return g.encode('stage');
    },
  };
}

/** Stages for the steps, with the shape after each; throws with the op's reason when a step can't apply. */
export function chainStages(steps: readonly ChainStep[], inputShape: readonly number[], dtype: 'float32' | 'float64' = 'float32'): { stages: ChainStage[]; shape: number[] } {
  let shape = [...inputShape];
  const stages: ChainStage[] = [];
  for (const s of steps) {
    const p = Params.parse(s.params);
    const key = `${s.op}:${JSON.stringify(s.params)}`;
    const inShape = [...shape];
    switch (s.op) {
      case 'interpolate': {
        const mode = p.str('mode', 'nearest') as string;
        if (!isInterpMode(mode) || mode === 'area' || mode === 'bicubic') throw new Error(`chain: interpolate mode ${mode} is not available in a chain (nearest, linear, bilinear, trilinear)`);
        const alignCorners = p.has('align_corners') ? p.bool('align_corners', false) : undefined;
        const plan = planInterpolate(shape, { size: p.ints('size'), scaleFactor: p.nums('scale_factor'), mode, alignCorners });
        const attrs: Record<string, string> = mode === 'nearest'
          ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
          : { mode: 'linear', coordinate_transformation_mode: alignCorners ? 'align_corners' : 'half_pixel' };
        if (shape.length === 3) throw new Error('chain: 1-D interpolate is not available in a chain');
        const outShape = [shape[0], shape[1], ...plan.outSize];
        stages.push(stage(key, dtype, inShape, (g, x) => (plan.scales
          ? g.node('Resize', [x, '', g.floats([1, 1, ...plan.scales], 'float32', [2 + plan.scales.length])], attrs)
          : g.node('Resize', [x, '', '', g.int64s(outShape)], attrs))));
        shape = outShape;
        break;
      }
      case 'softmax': {
        const dim = wrapDim(p.int('dim') as number, shape.length);
        stages.push(stage(key, dtype, inShape, (g, x) => softmaxNode(g, x, dim, inShape.length)));
        break;
      }
      case 'sum': case 'mean': case 'amax': {
        const dims = p.ints('dim');
        const axes = dims === undefined ? shape.map((_, i) => i) : [...new Set(dims.map((d) => wrapDim(d, shape.length)))].sort((a, b) => a - b);
        const keep = p.bool('keepdim', false);
        stages.push(stage(key, dtype, inShape, (g, x) => (s.op === 'sum'
          ? g.node('ReduceSum', [x, g.int64s(axes)], { keepdims: keep ? 1 : 0 })
          : g.node(s.op === 'mean' ? 'ReduceMean' : 'ReduceMax', [x], { axes, keepdims: keep ? 1 : 0 }))));
        shape = keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
        break;
      }
      case 'permute': {
        const dims = (p.ints('dims') ?? []).map((d) => wrapDim(d, shape.length));
        if (dims.length !== shape.length || new Set(dims).size !== dims.length) throw new Error(`chain: permute dims ${dims.join(',')} do not fit ${shape.join('×')}`);
        stages.push(stage(key, dtype, inShape, (g, x) => g.node('Transpose', [x], { perm: dims })));
        shape = dims.map((d) => inShape[d]);
        break;
      }
      default:
        throw new Error(`chain: ${s.op} is not available in a chain (interpolate, softmax, sum, mean, amax, permute)`);
    }
  }
  return { stages, shape };
}

export async function runOpChain(steps: readonly ChainStep[], input: Feed, provider: ProviderName): ReturnType<typeof runChain> {
  if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new Error(`chain: needs a float32 or float64 input, got ${input.dtype}`);
  const { stages } = chainStages(steps, [...input.shape], input.dtype);
  return runChain(stages, input, provider);
}
