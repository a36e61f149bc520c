/**
 * The pydevd presentation plugin (src/debug/python/pydevd_plugin_tensorscope.py, laid out as
 * dist/pythonpath by scripts/build-pythonpath.mjs) inside real debugpy: with the folder on the debuggee's
 * PYTHONPATH, debugpy's own `evaluate` (hover, watch, repl) and `variables` answers start with the shape
 * line, for views, 0-dim, empty, huge, meta, sparse and quantized tensors and numpy arrays; Copy Value keeps
 * the repr; a tensor's children in the Variables view hold no tracebacks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { buildPythonPath } from '../../scripts/build-pythonpath.mjs';
import { runToLine } from '../../src/debug/session';
import { fixtures, lineOf, missingPython, python, stopInFixture, type FixtureStop } from './debug-util';

interface Truth {
  shape: number[]; dtype: string; device?: string; layout?: string; numel?: number; size?: number; requiresGrad?: boolean;
  gradFn?: string | null; type?: string; contiguous?: boolean; stride?: number[];
}
interface Expected { torch: string; values: Record<string, Truth>; items: Record<string, number> }

const skip = missingPython();
let stop: FixtureStop<Expected> | undefined;
let tmp = '';

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ts-pythonpath-'));
  const folder = (buildPythonPath as (out: string) => string)(path.join(tmp, 'pythonpath'));
  // the user's own PYTHONPATH entries stay behind ours, as the extension writes it
  stop = await stopInFixture<Expected>('plugin_cases.py', 30_000, { env: { PYTHONPATH: `${folder}${path.delimiter}${tmp}` } });
});
after(async () => {
  await stop?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const evaluate = async (expression: string, context: string): Promise<string> =>
  (await stop!.session.client.request<DebugProtocol.EvaluateResponse['body']>('evaluate', { expression, frameId: stop!.session.frameId, context })).result;

/** the metadata part of a tensor's presentation, as torch describes the tensor */
function headOf(name: string): string {
  const t = stop!.expected.values[name]!;
  return `[${t.shape.join(', ')}] ${t.dtype} ${t.device ?? 'cpu'}`;
}

test('hover, watch and repl answers begin with shape, dtype and device, within 120 characters', { skip }, async () => {
  for (const name of Object.keys(stop!.expected.values)) {
    for (const context of ['hover', 'watch', 'repl']) {
      const text = await evaluate(name, context);
      assert.ok(text.startsWith(headOf(name)), `${name} (${context}): ${text}`);
      assert.ok(text.indexOf(headOf(name)) + headOf(name).length <= 120);
    }
  }
});

test('views say non-contiguous; contiguous tensors do not', { skip }, async () => {
  const values = stop!.expected.values;
  for (const [name, t] of Object.entries(values)) {
    if (t.contiguous === undefined) continue;
    const text = await evaluate(name, 'hover');
    const head = text.split(' \u00b7 ')[0]!;
    assert.equal(/\bnon-contiguous\b/.test(head), !t.contiguous, `${name}: ${text}`);
  }
  assert.deepEqual(values.nhwc!.stride, [12288, 64, 1, 4096]);
  assert.match(await evaluate('nhwc', 'hover'), /^\[2, 64, 64, 3\] float32 cpu non-contiguous · tensor\(\[\[\[\[-?\d/);
  assert.match(await evaluate('cl', 'hover'), /^\[1, 4, 3, 3\] float32 cpu non-contiguous channels_last · /);
  assert.match(await evaluate('arr', 'hover'), /^\[3, 2\] float32 cpu non-contiguous · array\(\[\[0\., 2\.\], …\]\)$/);
});

test('grad_fn, requires_grad and one-element values', { skip }, async () => {
  const { items } = stop!.expected;
  const loss = await evaluate('loss', 'hover');
  assert.ok(loss.startsWith(`[] float32 cpu ${Number(items.loss!.toPrecision(4))}`), loss);
  assert.match(loss, /^\[\] float32 cpu \S+ grad_fn=MeanBackward0 · tensor\(/);
  assert.match(await evaluate('weight', 'hover'), /^\[1, 4\] float32 cpu requires_grad · Parameter\(\[\[/);
  assert.equal(await evaluate('scalar', 'hover'), '[] float32 cpu 3.5 · tensor(3.5)');
  assert.equal(await evaluate('one', 'hover'), '[1, 1] float32 cpu 7.25 · tensor([[7.25]])');
  assert.equal(await evaluate('arr0', 'hover'), '[] float64 cpu 2.5 · array(2.5)');
});

test('empty, huge, meta, sparse and quantized tensors say what they are', { skip }, async () => {
  assert.equal(await evaluate('empty', 'hover'), '[0, 5] float32 cpu · tensor([])');
  assert.equal(await evaluate('arr_empty', 'hover'), '[0, 3] float64 cpu · array([])');
  // 10^12 elements: anything that touched them all (statistics, a copy, a full repr) could not answer
  assert.equal(stop!.expected.values.huge!.numel, 1e12);
  assert.equal(await evaluate('huge', 'hover'), '[1000000, 1000000] float32 cpu non-contiguous · tensor([[0., 0., 0., 0., 0., 0., …], …])');
  assert.equal(await evaluate('big', 'hover'), '[4096, 8192] float32 cpu · tensor([[1., 1., 1., 1., 1., 1., …], …])');
  assert.equal(await evaluate('meta', 'hover'), '[4, 4] float32 meta no data');
  assert.equal(await evaluate('sparse', 'hover'), '[3, 3] float32 cpu sparse_coo nnz=3');
  assert.equal(await evaluate('quant', 'hover'), '[4, 4] quint8 cpu quantized per_tensor_affine scale=0.1 zero_point=10');
  assert.equal(await evaluate('mask', 'hover'), '[2, 3] bool cpu · tensor([[False, False, False], …])');
  assert.match(await evaluate('cplx', 'hover'), /^\[3\] complex64 cpu · tensor\(\[-?[\d.]+[+-][\d.]+j, /);
});

test('Copy Value (clipboard) keeps the repr; other values are left alone', { skip }, async () => {
  assert.match(await evaluate('nhwc', 'clipboard'), /^tensor\(\[\[\[\[/);
  assert.equal(await evaluate('1 + 1', 'hover'), '2');
  assert.match(await evaluate('model', 'hover'), /^Linear\(/);
});

test('the Variables view shows the shape line, and a tensor\'s children hold no tracebacks', { skip }, async () => {
  const { client, frameId } = stop!.session;
  const scopes = await client.request<DebugProtocol.ScopesResponse['body']>('scopes', { frameId });
  const vars = await client.request<DebugProtocol.VariablesResponse['body']>('variables', { variablesReference: scopes.scopes[0]!.variablesReference });
  const byName = new Map(vars.variables.map((v) => [v.name, v]));
  for (const name of Object.keys(stop!.expected.values)) assert.ok(byName.get(name)!.value.startsWith(headOf(name)), `${name}: ${byName.get(name)!.value}`);
  const nhwc = byName.get('nhwc')!;
  assert.ok(nhwc.variablesReference > 0, 'still expandable');
  const kids = await client.request<DebugProtocol.VariablesResponse['body']>('variables', { variablesReference: nhwc.variablesReference });
  const names = kids.variables.map((v) => v.name);
  assert.ok(names.includes('shape') && names.includes('T') && names.includes('grad_fn'), names.join(','));
  assert.ok(!names.includes('H') && !names.includes('imag'), 'attributes that raise are hidden');
  assert.ok(!kids.variables.some((v) => /Traceback/.test(v.value)), 'no traceback strings');
  const t = kids.variables.find((v) => v.name === 'T')!;
  assert.equal(t.evaluateName, 'nhwc.T');
  assert.ok(t.value.startsWith('[3, 64, 64, 2] float32 cpu non-contiguous'), t.value);
});

test('a program without torch loads the plugin and still has no torch or numpy', { skip }, async () => {
  const script = path.join(fixtures, 'no_torch.py');
  const s = await runToLine({ script, line: lineOf(script), python, env: { PYTHONPATH: path.join(tmp, 'pythonpath') } });
  try {
    const ask = async (expression: string): Promise<string> =>
      (await s.client.request<DebugProtocol.EvaluateResponse['body']>('evaluate', { expression, frameId: s.frameId, context: 'hover' })).result;
    assert.equal(await ask('items'), '[1, 2, 3]'); // a value shown: pydevd has asked its presentation providers
    assert.equal(await ask("'pydevd_plugins.extensions.pydevd_plugin_tensorscope' in __import__('sys').modules"), 'True');
    assert.equal(await ask("'torch' in __import__('sys').modules or 'numpy' in __import__('sys').modules"), 'False');
  } finally {
    await s.close();
  }
});
