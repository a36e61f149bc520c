/** Text renderings of live answers: the hover line, inline values, hover markdown, DOT. Pure functions. */
import type { AutogradGraph, HoverAnswer, InlineShape, LiveStats, LiveTensor, LiveValue } from './protocol';
import { isLiveTensor } from './protocol';
import { formatBytes } from '../core/units';

export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

export function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** `x: [2, 3, 224, 224] float32 cuda:0` */
export function inlineText(name: string, s: InlineShape): string {
  return `${name}: ${shapeText(s.shape)} ${s.dtype}${s.numpy ? ' (numpy)' : ` ${s.device}`}`;
}

function statsText(s: LiveStats): string {
  const parts: string[] = [];
  if (s.min !== null) parts.push(`x∈[${fmtNum(s.min)}, ${fmtNum(s.max)}]`);
  if (s.mean !== null) parts.push(`μ=${fmtNum(s.mean)}`);
  if (s.std !== null) parts.push(`σ=${fmtNum(s.std)}`);
  if (s.nan) parts.push(`NaN!${s.nan}`);
  if (s.inf) parts.push(`Inf!${s.inf}`);
  if (s.count > 0 && s.zeros === s.count) parts.push('all zeros');
  return parts.join(' ');
}

/** The lovely-tensors line, plus strides: `tensor[4, 3] float32 cpu n=12 x∈[-1.9, 2] μ=-0.14 σ=1.2 grad AddBackward0`. */
export function tensorLine(t: LiveTensor): string {
  const head = t.kind === 'ndarray' ? 'array' : t.isParameter ? 'Parameter' : 'tensor';
  const parts = [`${head}${shapeText(t.shape)}`, t.dtype];
  if (t.kind === 'tensor') parts.push(t.device);
  parts.push(`n=${t.numel}`);
  if (t.stats) { const s = statsText(t.stats); if (s) parts.push(s); }
  if (t.gradFn) parts.push(`grad ${t.gradFn}`);
  else if (t.requiresGrad) parts.push('requires_grad');
  if (t.note) parts.push(`(${t.note})`);
  return parts.join(' ');
}

export function valueLine(v: LiveValue): string {
  if (isLiveTensor(v)) return tensorLine(v);
  if (v.kind === 'module') return `${v.type} (nn.Module, ${v.parameters} parameters, ${v.numel} elements)`;
  if (v.kind === 'other') return v.repr !== undefined ? `${v.type} ${v.repr}` : v.type;
  const shown = v.items.map((it) => `${v.kind === 'dict' ? `${String(it.key)}: ` : ''}${isLiveTensor(it.value)
    ? `${shapeText(it.value.shape)} ${it.value.dtype}` : it.value.kind === 'other' && it.value.repr !== undefined ? it.value.repr : it.value.type}`);
  const more = v.length > v.items.length ? `, … ${v.length - v.items.length} more` : '';
  const [open, close] = v.kind === 'dict' ? ['{', '}'] : v.kind === 'tuple' ? ['(', ')'] : ['[', ']'];
  return `${v.type} of ${v.length}${v.tensors ? ` (${v.tensors} tensors)` : ''} ${open}${shown.join(', ')}${more}${close}`;
}

/** Markdown for a VS Code hover. */
export function hoverMarkdown(a: HoverAnswer): string {
  if ('error' in a) return `**Tensorscope**: ${a.error}`;
  const lines = [`\`${a.expr}\`: \`${valueLine(a)}\``];
  if (isLiveTensor(a)) {
    const rows: [string, string][] = [
      ['shape', shapeText(a.shape)], ['dtype', a.dtype], ['device', a.device],
      ['stride', shapeText(a.stride)], ['contiguous', a.contiguous ? 'yes' : `no${a.memoryFormat ? ` (${a.memoryFormat})` : ''}`],
      ['requires_grad', String(a.requiresGrad)], ['grad_fn', a.gradFn ?? '—'], ['memory', formatBytes(a.bytes)],
    ];
    if (a.stats) {
      rows.push(['min / max', `${fmtNum(a.stats.min)} / ${fmtNum(a.stats.max)}`], ['mean / std', `${fmtNum(a.stats.mean)} / ${fmtNum(a.stats.std)}`],
        ['NaN / Inf', `${a.stats.nan} / ${a.stats.inf}`]);
    }
    lines.push('', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | \`${v}\` |`));
  }
  return lines.join('\n');
}

/** Graphviz DOT of an autograd graph. */
export function graphToDot(g: AutogradGraph): string {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph autograd {', '  rankdir=TB;', '  node [shape=box, fontname="monospace"];'];
  for (const n of g.nodes) {
    const extra = n.variable ? `\\n${shapeText(n.variable.shape)} ${n.variable.dtype}` : '';
    const label = `${n.param ? `${n.param}\\n` : ''}${esc(n.name)}${extra}`;
    const style = n.name === 'AccumulateGrad' ? ', style=filled, fillcolor="#d7ecff"' : '';
    lines.push(`  n${n.id} [label="${label}"${style}];`);
  }
  for (const [a, b] of g.edges) lines.push(`  n${a} -> n${b};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
