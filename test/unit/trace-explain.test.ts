/** The shape tracer's pure parts: failure explanations, the shape rules behind them, text renderings, parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainTraceError } from '../../src/debug/trace/explain';
import { lineSummary, opLines, opText } from '../../src/debug/trace/format';
import { parseTrace, type TraceError, type TraceOp } from '../../src/debug/trace/result';
import { bmmMismatch, catMismatch, checkCat, matmulMismatch } from '../../src/compute/shapes';

const err = (op: string | null, inputs: number[][], extra: Partial<TraceError> = {}): TraceError =>
  ({ file: '/w/a.py', line: 3, type: 'RuntimeError', message: 'torch says no\nsecond line', op, inputs, ...extra });

test('bmm, baddbmm, matmul, mm: the operand dimension that must match, in torch\'s argument names', () => {
  assert.equal(explainTraceError(err('bmm', [[4, 10, 32], [4, 16, 7]])).summary, "bmm: [4, 10, 32] @ [4, 16, 7]: batch2's dim 1 (16) must equal batch1's dim 2 (32)");
  assert.equal(explainTraceError(err('bmm', [[4, 10, 32], [5, 32, 7]])).summary, "bmm: [4, 10, 32] @ [5, 32, 7]: batch2's dim 0 (5) must equal batch1's dim 0 (4)");
  assert.equal(explainTraceError(err('bmm', [[10, 32], [4, 32, 7]])).summary, 'bmm: [10, 32] @ [4, 32, 7]: batch1 must be 3-D (it is 2-D)');
  assert.equal(explainTraceError(err('baddbmm', [[4, 10, 7], [4, 10, 32], [4, 16, 7]])).summary, "baddbmm: [4, 10, 32] @ [4, 16, 7]: batch2's dim 1 (16) must equal batch1's dim 2 (32)");
  assert.equal(explainTraceError(err('matmul', [[5, 7], [6, 3]])).summary, "matmul: [5, 7] @ [6, 3]: other's dim 0 (6) must equal input's dim 1 (7)");
  assert.equal(explainTraceError(err('matmul', [[2, 5, 7], [3, 7, 4]])).summary, 'matmul: [2, 5, 7] @ [3, 7, 4]: batch dims [2] and [3] do not broadcast (dim -1: 2 vs 3)');
  assert.equal(explainTraceError(err('matmul', [[5, 7], [6]])).summary, "matmul: [5, 7] @ [6]: other's dim 0 (6) must equal input's dim 1 (7)");
  assert.equal(explainTraceError(err('mm', [[5, 7], [6, 3]])).summary, "mm: [5, 7] @ [6, 3]: mat2's dim 0 (6) must equal input's dim 1 (7)");
  const e = explainTraceError(err('bmm', [[4, 10, 32], [4, 16, 7]]));
  assert.deepEqual(e.details, ['torch: RuntimeError: torch says no']);
});

test('linear and convolutions: features and channels against the weight', () => {
  assert.equal(explainTraceError(err('linear', [[2, 10], [5, 20], [5]])).summary, "linear: input [2, 10], weight [5, 20]: input's last dim (10) must equal weight's dim 1, in_features (20)");
  assert.equal(explainTraceError(err('linear', [[2, 20], [5, 20], [4]])).summary, 'linear: input [2, 20], weight [5, 20], bias [4]: bias must be [5] (out_features)');
  assert.equal(explainTraceError(err('conv2d', [[2, 4, 32, 32], [16, 3, 3, 3], [16]])).summary,
    "conv2d: input [2, 4, 32, 32], weight [16, 3, 3, 3]: input's dim 1 (4 channels) must equal weight's dim 1, in_channels (3)");
  const grouped = err('conv2d', [[2, 6, 8, 8], [8, 4, 3, 3]], { args: [{ tensor: 0 }, { tensor: 1 }, null, [1, 1], [0, 0], [1, 1], 2] });
  assert.equal(explainTraceError(grouped).summary, "conv2d: input [2, 6, 8, 8], weight [8, 4, 3, 3]: input's dim 1 (6 channels) must equal weight's dim 1 × groups (4 × 2 = 8)");
  assert.equal(explainTraceError(err('conv1d', [[3, 5, 7], [4, 3, 3]])).summary, "conv1d: input [3, 5, 7], weight [4, 3, 3]: input's dim 1 (5 channels) must equal weight's dim 1, in_channels (3)");
  assert.equal(explainTraceError(err('conv2d', [[5, 32, 32], [16, 3, 3, 3]])).summary, "conv2d: input [5, 32, 32], weight [16, 3, 3, 3]: input's dim 0 (5 channels) must equal weight's dim 1, in_channels (3)");
  assert.equal(explainTraceError(err('conv2d', [[32, 32], [16, 3, 3, 3]])).summary, 'conv2d: input [32, 32], weight [16, 3, 3, 3]: the input must be 4-D (N, C, …) or 3-D unbatched, it is 2-D');
  assert.equal(explainTraceError(err('conv_transpose2d', [[1, 3, 8, 8], [4, 2, 3, 3]])).summary, "conv_transpose2d: input [1, 3, 8, 8], weight [4, 2, 3, 3]: input's dim 1 (3 channels) must equal weight's dim 0, in_channels (4)");
});

test('cat and stack: the first entry and dimension that differ', () => {
  const cat = err('cat', [[2, 3], [2, 3], [2, 4]], { args: [[{ tensor: 0 }, { tensor: 1 }, { tensor: 2 }]], kwargs: { dim: 0 } });
  assert.equal(explainTraceError(cat).summary, "cat: [2, 3], [2, 3], [2, 4] along dim 0: tensor 2's dim 1 (4) must equal tensor 0's dim 1 (3); all dims but 0 must match");
  const negative = err('cat', [[2, 3, 5], [2, 4, 6]], { args: [[{ tensor: 0 }, { tensor: 1 }], -1] });
  assert.equal(explainTraceError(negative).summary, "cat: [2, 3, 5], [2, 4, 6] along dim -1: tensor 1's dim 1 (4) must equal tensor 0's dim 1 (3); all dims but -1 must match");
  assert.equal(explainTraceError(err('cat', [[2, 3], [2, 3, 1]])).summary, 'cat: [2, 3], [2, 3, 1] along dim 0: tensor 1 is 3-D [2, 3, 1], tensor 0 is 2-D [2, 3]');
  assert.equal(explainTraceError(err('stack', [[3, 4], [3, 5]])).summary, 'stack: [3, 4], [3, 5]: tensor 1 is [3, 5] but tensor 0 is [3, 4]: stack needs equal shapes');
  const many = explainTraceError(err('cat', [[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 3]])).summary;
  assert.match(many, /^cat: \[1, 2\], \[1, 2\], \[1, 2\], \[1, 2\], \[1, 2\], \[1, 2\], … \(7 tensors\) along dim 0: tensor 6's dim 1 \(3\)/);
});

test('view: a non-contiguous tensor explained with its strides; a size that does not fit', () => {
  const permuted = err('view', [[2, 12, 12, 16]], { strides: [[2304, 12, 1, 144]], args: [{ tensor: 0 }, 2, -1], message: "view size is not compatible with input tensor's size and stride" });
  const e = explainTraceError(permuted);
  assert.equal(e.summary, 'view on a non-contiguous tensor [2, 12, 12, 16] with strides (2304, 12, 1, 144): use .reshape() or .contiguous()');
  assert.match(e.details[0]!, /transposed \/ permuted; a contiguous tensor of this shape has strides \(2304, 192, 16, 1\)/);
  assert.match(e.details[1]!, /permute/);
  const transposed = err('view', [[12, 10]], { strides: [[1, 12]], args: [{ tensor: 0 }, [-1]] });
  assert.equal(explainTraceError(transposed).summary, 'view on a non-contiguous tensor [12, 10] with strides (1, 12): use .reshape() or .contiguous()');
  const size = err('view', [[4, 6]], { strides: [[6, 1]], args: [{ tensor: 0 }, 5, -1], message: "shape '[5, -1]' is invalid for input of size 24" });
  assert.equal(explainTraceError(size).summary, "view: [4, 6] as [5, -1]: shape '[5, -1]' is invalid for input of size 24");
  const reshape = err('reshape', [[4, 6]], { strides: [[6, 1]], args: [{ tensor: 0 }, [7, 3]] });
  assert.equal(explainTraceError(reshape).summary, "reshape: [4, 6] as [7, 3]: shape '[7, 3]' is invalid for input of size 24");
});

test('broadcasting ops, other ops, failures outside torch ops', () => {
  const add = err('add', [[2, 4], [2, 5]], { message: 'The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1' });
  assert.equal(explainTraceError(add).summary, 'add: [2, 4] and [2, 5] do not broadcast: dim -1 is 4 vs 5 (sizes must match or be 1)');
  const interp = err('interpolate', [[1, 3, 8, 8]], { message: 'Input and output must have the same number of spatial dimensions\nmore' });
  assert.deepEqual(explainTraceError(interp), { summary: 'interpolate [1, 3, 8, 8]: Input and output must have the same number of spatial dimensions', details: [] });
  assert.deepEqual(explainTraceError(err(null, [], { type: 'ValueError', message: 'bad value' })), { summary: 'ValueError: bad value', details: [] });
  // a rule that finds nothing wrong (torch refused for another reason) falls back to torch's words
  assert.equal(explainTraceError(err('bmm', [[4, 10, 32], [4, 32, 7]])).summary, 'bmm [4, 10, 32], [4, 32, 7]: torch says no');
});

test('the shape rules answer what is wrong; the compute checks keep their messages', () => {
  assert.equal(bmmMismatch([4, 10, 32], [4, 32, 7]), null);
  assert.deepEqual(matmulMismatch([3], [4]), { kind: 'inner', dimA: 0, sizeA: 3, dimB: 0, sizeB: 4 });
  assert.equal(matmulMismatch([2, 1, 3, 4], [5, 4, 2]), null);
  assert.deepEqual(catMismatch([[2, 3], [5, 3]], 0, 'cat'), null);
  assert.deepEqual(catMismatch([], 0, 'stack'), { kind: 'empty' });
  assert.throws(() => checkCat([[4, 4], [5, 3]], 0, 'cat'), { message: 'cat: sizes of tensors must match except in dimension 0. Expected size 4 but got size 3 for tensor number 1 in the list (4×4 vs 5×3)' });
  assert.throws(() => checkCat([[4, 4], [4, 5]], 0, 'stack'), { message: 'stack expects each tensor to be equal size, but got 4×4 at entry 0 and 4×5 at entry 1' });
});

const op = (o: Partial<TraceOp>): TraceOp => ({ file: '/w/a.py', line: 1, op: 'relu', inputs: [[2, 3]], outputs: [[2, 3]], dtype: 'float32', device: 'cpu', count: 1, ...o });

test('renderings: one op, a line summary, shapes a loop varied', () => {
  assert.equal(opText(op({ op: 'conv2d', inputs: [[2, 3, 8, 8], [16, 3, 3, 3]], outputs: [[2, 16, 8, 8]], count: 50 })), 'conv2d [2, 3, 8, 8], [16, 3, 3, 3] → [2, 16, 8, 8] float32 ×50');
  assert.equal(opText(op({ op: 'Net', inputs: [], outputs: [[2, 10]], call: true, device: 'cuda:0' })), 'Net(…) → [2, 10] float32 cuda:0');
  assert.equal(lineSummary([op({ outputs: [[2, 16, 32, 48]] })]), '→ [2, 16, 32, 48] float32');
  assert.equal(lineSummary([op({ op: 'linear', outputs: [[4, 10]] }), op({ op: 'relu', outputs: [[4, 10]] })]), '→ [4, 10] float32  (linear, relu)');
  assert.equal(lineSummary([op({ op: 'linear' }), op({ op: 'Block', call: true, outputs: [[7]] })]), '→ [7] float32');
  const loop = Array.from({ length: 16 }, (_, i) => op({ op: 'randn', inputs: [], outputs: [[i + 1, 4]], more: i === 0 ? 4 : undefined }));
  assert.equal(lineSummary(loop), '→ [16, 4] float32  (16+ shapes)');
  const lines = opLines(loop);
  assert.deepEqual(lines.slice(1), ['randn → [2, 4] float32', '… 13 more shapes of randn …', 'randn → [16, 4] float32']);
  assert.equal(lines[0], 'randn → [1, 4] float32 (+4 more calls, shapes not kept)');
  assert.ok(lineSummary([op({ outputs: Array.from({ length: 20 }, () => [1000, 1000]) })]).length <= 90);
});

test('parseTrace: the tracer format, one-line refusals otherwise', () => {
  const t = parseTrace(JSON.stringify({ ops: [op({})], error: null, limit: null, dropped: 0, exitCode: 0, python: '3.11', torch: '2.1', fatal: null }));
  assert.equal(t.ops.length, 1);
  assert.equal(t.torch, '2.1');
  assert.throws(() => parseTrace('{'), /^Error: malformed trace: /);
  assert.throws(() => parseTrace(JSON.stringify({ ops: [{ ...op({}), outputs: [['2']] }] })), { message: 'malformed trace: ops[0]' });
  assert.throws(() => parseTrace(JSON.stringify({ ops: [], error: { type: 'X' } })), { message: 'malformed trace: error' });
});
