/**
 * Text renderings of a shape trace: one op (`conv2d [2, 3, 32, 32], [16, 3, 3, 3] → [2, 16, 32, 32] float32`),
 * the short end-of-line summary of a line's ops, and the ops grouped by file and line. Pure functions.
 */
import { shapeText } from '../format';
import type { TraceOp } from './result';

/** `[2, 3], [4, 5]`; a long list (the tensors given to one `cat`) is cut after `max`, with the count. */
export function shapesText(shapes: readonly (readonly number[])[], max = 6): string {
  const shown = shapes.slice(0, max).map((s) => shapeText([...s])).join(', ');
  return shapes.length > max ? `${shown}, … (${shapes.length} tensors)` : shown;
}

/** `[2, 16, 32, 48] float32` (`cuda:0` added when not on the CPU); several results are joined by `, ` */
export function resultText(op: TraceOp): string {
  const shapes = op.outputs.map(shapeText).join(', ');
  return `${shapes} ${op.dtype}${op.device === 'cpu' ? '' : ` ${op.device}`}`;
}

/** `conv2d [2, 3, 32, 32], [16, 3, 3, 3], [16] → [2, 16, 32, 32] float32 ×50` */
export function opText(op: TraceOp): string {
  const ins = op.inputs.length ? ` ${shapesText(op.inputs)}` : op.call ? '(…)' : '';
  const count = op.count > 1 ? ` ×${op.count}` : '';
  const more = op.more ? ` (+${op.more} more calls, shapes not kept)` : '';
  return `${op.op}${ins} → ${resultText(op)}${count}${more}`;
}

/**
 * One text line per op of a line, with the shapes a loop varied shortened: an op with more than `keep`
 * distinct shapes shows its first ones, a count, and its last one.
 */
export function opLines(ops: readonly TraceOp[], keep = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < ops.length;) {
    let j = i;
    while (j < ops.length && ops[j]!.op === ops[i]!.op && !!ops[j]!.call === !!ops[i]!.call) j++;
    const run = ops.slice(i, j);
    if (run.length <= keep) out.push(...run.map(opText));
    else out.push(...run.slice(0, keep - 2).map(opText), `… ${run.length - keep + 1} more shapes of ${run[0]!.op} …`, opText(run[run.length - 1]!));
    i = j;
  }
  return out;
}

/** The ops of each line of each file, in the order lines first ran. */
export function opsByLine(ops: readonly TraceOp[]): Map<string, Map<number, TraceOp[]>> {
  const files = new Map<string, Map<number, TraceOp[]>>();
  for (const op of ops) {
    let lines = files.get(op.file);
    if (!lines) files.set(op.file, (lines = new Map()));
    const list = lines.get(op.line);
    if (list) list.push(op);
    else lines.set(op.line, [op]);
  }
  return files;
}

/**
 * The end-of-line summary of one line: what the line produced, compactly. A line's result is its last op's
 * (a call of the user's own function or module wins: it is what the line's expression returned); earlier ops
 * with other results are named before it, and shapes a loop varied are counted.
 *   `→ [2, 16, 32, 48] float32`
 *   `→ [4, 10] float32  (linear, relu)`
 *   `→ [7, 4] float32  (16 shapes)`
 */
export function lineSummary(ops: readonly TraceOp[], maxLength = 90): string {
  if (!ops.length) return '';
  const calls = ops.filter((o) => o.call);
  const pool = calls.length ? calls : ops;
  const last = pool[pool.length - 1]!;
  const sameName = pool.filter((o) => o.op === last.op);
  const names = [...new Set(ops.filter((o) => !o.call || o === last).map((o) => o.op))];
  const notes: string[] = [];
  if (sameName.length > 1) notes.push(`${sameName.length}${sameName.some((o) => o.more) ? '+' : ''} shapes`);
  if (names.length > 1 && !calls.length) notes.push(names.length <= 3 ? names.join(', ') : `${names.length} ops`);
  let text = `→ ${resultText(last)}`;
  if (notes.length) text += `  (${notes.join('; ')})`;
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
