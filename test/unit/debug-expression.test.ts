/** Which expression a hover evaluates, and which it refuses (pure; no debugger needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expressionAt, isSafeExpression, namesOnLine } from '../../src/debug/expression';
import { decodeAnswer, installExpression, pyString } from '../../src/debug/tensorHelper';
import { graphToDot, inlineText, tensorLine } from '../../src/debug/format';
import { formatBytes } from '../../src/core/units';

test('safe expressions: names, attributes, subscripts', () => {
  for (const e of ['x', 'self.fc1.weight', 'x[0]', 'x[0, :, 1:3]', "d['a'].grad", 'xs[-1]', 'x[::2]', 'layers[i].bias', 'a[b[0]]']) {
    assert.deepEqual(isSafeExpression(e), { ok: true }, e);
  }
});

test('refused: calls, operators, assignments, lambdas, dunders, keywords', () => {
  for (const e of ['f()', 'x.sum()', 'x + 1', 'x = 1', 'x[0] = 2', 'lambda: 0', 'x.__class__', '__import__', 'not x', 'x if y else z',
    'x[f()]', 'x @ y', 'await x', '', '1', 'x.', '.x', 'x]', 'x[0', 'x; y', 'x, y', '-x', 'True', 'x.True']) {
    assert.equal(isSafeExpression(e).ok, false, e);
  }
});

test('the expression under the cursor', () => {
  const line = '    out = self.fc1.weight[0] @ x.T  # weight';
  const at = (word: string, nth = 0): string | undefined => {
    let i = -1;
    for (let k = 0; k <= nth; k++) i = line.indexOf(word, i + 1);
    return expressionAt(line, i)?.text;
  };
  assert.equal(at('self'), 'self');
  assert.equal(at('fc1'), 'self.fc1');
  assert.equal(at('weight'), 'self.fc1.weight');
  assert.equal(expressionAt(line, line.indexOf(']'))?.text, 'self.fc1.weight[0]');
  assert.equal(at('T'), 'x.T');
  assert.equal(at('out'), 'out');
  assert.equal(at('weight', 1), undefined, 'in a comment');
  assert.equal(expressionAt('y = f(x).shape', 9)?.text, undefined, 'a call result is not evaluated');
  assert.equal(expressionAt('for i in range(3):', 1), null, 'keyword');
  assert.equal(expressionAt('x = 123', 5), null, 'number');
  assert.deepEqual(expressionAt('x = a[i].grad', 10), { start: 4, end: 13, text: 'a[i].grad' });
});

test('names on a line for inline values', () => {
  assert.deepEqual(namesOnLine("y = model(x, dim=1).view(b, -1)  # z").map((n) => n.name), ['y', 'model', 'x', 'b']);
  assert.deepEqual(namesOnLine("print('a b', t)").map((n) => n.name), ['t']);
});

test('the install expression is one Python expression that defines the helper', () => {
  const expr = installExpression();
  assert.ok(!expr.includes('\n'));
  // it must parse as an eval-able expression (debugpy evaluates it in a frame)
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  const prog = "import sys\ne = sys.stdin.read()\nr1 = eval(e)\nr2 = eval(e)\nm = [k for k in sys.modules if k.startswith('_tensorscope_')]\n" +
    "print(isinstance(r1, tuple), r2 is True, len(m), 'torch' in sys.modules)";
  const out = execFileSync(py, ['-c', prog], { input: expr, encoding: 'utf8' });
  assert.equal(out.trim(), 'True True 1 False', 'installed once, idempotent, torch not imported');
});

test('answers are decoded from any rendering of the Python string', () => {
  const b64 = Buffer.from(JSON.stringify({ a: 'é', n: [1, 2] })).toString('base64');
  assert.deepEqual(decodeAnswer(`'TS1:${b64}'`), { a: 'é', n: [1, 2] });
  assert.deepEqual(decodeAnswer(`"TS1:${b64}"`), { a: 'é', n: [1, 2] });
  assert.throws(() => decodeAnswer("Traceback ...\nNameError: name 'q' is not defined"), /NameError: name 'q' is not defined/);
  assert.equal(pyString("it's \"é\""), '"it\'s \\"\\u00e9\\""');
});

test('helperSource.ts is in sync with tensorscope_helper.py', () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'gen-debug-helper.mjs'), '--check']);
});

test('formatting', () => {
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(inlineText('x', { shape: [2, 3, 224, 224], dtype: 'float32', device: 'cuda:0' }), 'x: [2, 3, 224, 224] float32 cuda:0');
  const line = tensorLine({ kind: 'tensor', type: 'Tensor', shape: [4, 3], dtype: 'float32', device: 'cpu', stride: [3, 1], contiguous: true,
    requiresGrad: true, gradFn: 'AddBackward0', numel: 12, bytes: 48,
    stats: { count: 12, min: -1.5, max: 2, mean: 0.25, std: 1.125, nan: 1, inf: 0, zeros: 0 } });
  assert.equal(line, 'tensor[4, 3] float32 cpu n=12 x∈[-1.5, 2] μ=0.25 σ=1.125 NaN!1 grad AddBackward0');
  const dot = graphToDot({ nodes: [{ id: 0, name: 'SumBackward0', saved: [] }, { id: 1, name: 'AccumulateGrad', saved: [], param: 'w', variable: { shape: [2], dtype: 'float32', device: 'cpu' } }],
    edges: [[0, 1]], leaves: [], truncated: false });
  assert.match(dot, /n0 -> n1;/);
  assert.match(dot, /label="w\\nAccumulateGrad\\n\[2\] float32"/);
});
