/**
 * A traced failure explained in torch's terms with the operands' shapes, from the shape rules of
 * src/compute/shapes.ts and the stride explanations of src/shared/explain.ts:
 *   `bmm: [4, 10, 32] @ [4, 16, 7]: batch2's dim 1 (16) must equal batch1's dim 2 (32)`
 *   `view on a non-contiguous tensor [2, 12, 12, 16] with strides (2304, 12, 1, 144): use .reshape() or .contiguous()`
 * Ops without a rule here get their operands' shapes before torch's own message.
 */
import { bmmMismatch, broadcastMismatch, catMismatch, matmulMismatch } from '../../compute/shapes';
import { explainStrides, tryView } from '../../shared/explain';
import { shapeText } from '../format';
import { shapesText } from './format';
import type { JsonValue, TraceError } from './result';

export interface ErrorExplanation {
  /** one line: the op, its operands' shapes and what is wrong */
  summary: string;
  /** more lines: why a tensor is laid out as it is, torch's own message */
  details: string[];
}

const S = shapeText;
const tuple = (a: readonly number[]) => `(${a.join(', ')}${a.length === 1 ? ',' : ''})`;
const firstLine = (s: string) => s.split('\n').find((l) => l.trim())?.trim() ?? '';
const isInt = (v: JsonValue | undefined): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntList = (v: JsonValue | undefined): v is number[] => Array.isArray(v) && v.every(isInt);

/** The argument at `position` of the call or keyword `name`. */
function argument(e: TraceError, position: number, name: string): JsonValue | undefined {
  return e.kwargs?.[name] ?? e.args?.[position];
}

type Rule = (e: TraceError) => ErrorExplanation | null;

const matmulNames: Record<string, [string, string]> = { matmul: ['input', 'other'], mm: ['input', 'mat2'], mv: ['input', 'vec'] };

const bmm: Rule = (e) => {
  // baddbmm(input, batch1, batch2): the last two tensors are the product's operands
  const [a, b] = e.inputs.slice(-2);
  if (!a || !b) return null;
  const bad = bmmMismatch(a, b);
  if (!bad) return null;
  const why = bad.kind === 'rank'
    ? `batch${bad.operand + 1} must be 3-D (it is ${bad.rank}-D)`
    : `batch2's dim ${bad.dim2} (${bad.size2}) must equal batch1's dim ${bad.dim1} (${bad.size1})`;
  return { summary: `${e.op}: ${S(a)} @ ${S(b)}: ${why}`, details: [] };
};

const matmul: Rule = (e) => {
  const [a, b] = e.op === 'addmm' ? e.inputs.slice(-2) : e.inputs;
  if (!a || !b) return null;
  const bad = matmulMismatch(a, b);
  if (!bad) return null;
  const [na, nb] = matmulNames[e.op!] ?? ['mat1', 'mat2'];
  const why = bad.kind === 'rank' ? 'both operands need at least 1 dimension'
    : bad.kind === 'inner' ? `${nb}'s dim ${bad.dimB} (${bad.sizeB}) must equal ${na}'s dim ${bad.dimA} (${bad.sizeA})`
    : `batch dims ${S(bad.batchA)} and ${S(bad.batchB)} do not broadcast (dim ${bad.broadcast.dim}: ${bad.broadcast.a} vs ${bad.broadcast.b})`;
  return { summary: `${e.op}: ${S(a)} @ ${S(b)}: ${why}`, details: [] };
};

const linear: Rule = (e) => {
  const [x, w, bias] = e.inputs;
  if (!x || !w || w.length !== 2 || !x.length) return null;
  const head = `linear: input ${S(x)}, weight ${S(w)}`;
  if (x[x.length - 1] !== w[1]) {
    return { summary: `${head}: input's last dim (${x[x.length - 1]}) must equal weight's dim 1, in_features (${w[1]})`, details: [] };
  }
  if (bias && (bias.length > 1 || (bias[0] ?? 1) !== w[0])) {
    return { summary: `${head}, bias ${S(bias)}: bias must be [${w[0]}] (out_features)`, details: [] };
  }
  return null;
};

const conv: Rule = (e) => {
  const [x, w] = e.inputs;
  if (!x || !w || w.length < 3) return null;
  const spatial = w.length - 2;
  const transposed = e.op!.startsWith('conv_transpose');
  if (x.length !== spatial + 2 && x.length !== spatial + 1) {
    return { summary: `${e.op}: input ${S(x)}, weight ${S(w)}: the input must be ${spatial + 2}-D (N, C, …) or ${spatial + 1}-D unbatched, it is ${x.length}-D`, details: [] };
  }
  const cdim = x.length === spatial + 2 ? 1 : 0;
  const groupsArg = argument(e, 6, 'groups'); // conv*d(input, weight, bias, stride, padding, dilation | output_padding, groups)
  const groups = isInt(groupsArg) && groupsArg > 0 ? groupsArg : 1;
  const expected = transposed ? w[0]! : w[1]! * groups;
  if (x[cdim] === expected) return null;
  const need = transposed ? `weight's dim 0, in_channels (${w[0]})`
    : groups > 1 ? `weight's dim 1 × groups (${w[1]} × ${groups} = ${expected})` : `weight's dim 1, in_channels (${w[1]})`;
  return { summary: `${e.op}: input ${S(x)}, weight ${S(w)}: input's dim ${cdim} (${x[cdim]} channels) must equal ${need}`, details: [] };
};

const cat: Rule = (e) => {
  const op = e.op === 'stack' ? 'stack' : 'cat';
  const dimArg = argument(e, 1, 'dim');
  const dim = isInt(dimArg) ? dimArg : 0;
  const bad = catMismatch(e.inputs, dim, op);
  if (!bad || bad.kind === 'empty') return null;
  const first = e.inputs[0]!;
  const s = e.inputs[bad.entry]!;
  const head = op === 'cat' ? `cat: ${shapesText(e.inputs)} along dim ${dim}` : `stack: ${shapesText(e.inputs)}`;
  const why = bad.kind === 'size' ? `tensor ${bad.entry}'s dim ${bad.dim} (${bad.got}) must equal tensor 0's dim ${bad.dim} (${bad.expected}); all dims but ${dim} must match`
    : bad.kind === 'rank' ? `tensor ${bad.entry} is ${s.length}-D ${S(s)}, tensor 0 is ${first.length}-D ${S(first)}`
    : `tensor ${bad.entry} is ${S(s)} but tensor 0 is ${S(first)}: stack needs equal shapes`;
  return { summary: `${head}: ${why}`, details: [] };
};

/** The target shape of `x.view(2, -1)`, `x.view((2, -1))`, `x.reshape(shape=…)`. */
function targetShape(e: TraceError): number[] | null {
  const named = e.kwargs?.size ?? e.kwargs?.shape;
  if (isIntList(named)) return named;
  const rest = (e.args ?? []).slice(1);
  if (rest.length === 1 && isIntList(rest[0])) return rest[0];
  return rest.length && isIntList(rest) ? rest : null;
}

const view: Rule = (e) => {
  const shape = e.inputs[0];
  const stride = e.strides?.[0];
  if (!shape) return null;
  const target = targetShape(e);
  const result = target && stride ? tryView(shape, stride, target) : null;
  if (result?.ok) return null;
  const strideProblem = result ? /stride/.test(result.reason) : /stride/.test(e.message);
  if (strideProblem && stride) {
    const why = explainStrides(shape, stride, 0, null);
    const because = why.notes.filter((n) => n.startsWith('Because')).map((n) => n.replace(/^Because /, 'It is not contiguous because '));
    return {
      summary: `view on a non-contiguous tensor ${S(shape)} with strides ${tuple(stride)}: use .reshape() or .contiguous()`,
      details: [`Its layout: ${why.verdict}; a contiguous tensor of this shape has strides ${tuple(why.contiguousStride)}.`, ...because],
    };
  }
  if (result && !result.ok) return { summary: `${e.op}: ${S(shape)} as [${target!.join(', ')}]: ${result.reason}`, details: [] };
  return null;
};

const broadcast: Rule = (e) => {
  if (!/must match the size of tensor|broadcast/i.test(e.message)) return null;
  for (let i = 0; i < e.inputs.length; i++) {
    for (let j = i + 1; j < e.inputs.length; j++) {
      const bad = broadcastMismatch(e.inputs[i]!, e.inputs[j]!);
      if (bad) {
        return { summary: `${e.op}: ${S(e.inputs[i]!)} and ${S(e.inputs[j]!)} do not broadcast: dim ${bad.dim} is ${bad.a} vs ${bad.b} (sizes must match or be 1)`, details: [] };
      }
    }
  }
  return null;
};

const rules: Record<string, Rule> = {
  bmm, baddbmm: bmm,
  matmul, mm: matmul, mv: matmul, addmm: matmul,
  linear,
  conv1d: conv, conv2d: conv, conv3d: conv, conv_transpose1d: conv, conv_transpose2d: conv, conv_transpose3d: conv,
  cat, concat: cat, concatenate: cat, stack: cat,
  view, reshape: view,
};

export function explainTraceError(e: TraceError): ErrorExplanation {
  const torchSays = `${e.type}: ${firstLine(e.message)}`;
  if (!e.op) return { summary: torchSays, details: [] };
  const found = (rules[e.op] ?? broadcast)(e) ?? (rules[e.op] ? broadcast(e) : null);
  if (found) return { summary: found.summary, details: [...found.details, `torch: ${torchSays}`] };
  const operands = e.inputs.length ? ` ${shapesText(e.inputs)}` : '';
  return { summary: `${e.op}${operands}: ${firstLine(e.message)}`, details: e.cause ? [`from ${e.cause}`] : [] };
}
