/**
 * The tensorscope-python debug type's DAP proxy in front of real debugpy: VS Code's debug hover
 * (`evaluate` with context `hover`) and the Variables view get the tensor line instead of a repr;
 * everything else passes through.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { runToLine, type StoppedSession } from '../../src/debug/session';
import { fixtures, lineOf, missingPython, python } from './debug-util';

const skip = missingPython();
let s: StoppedSession | undefined;

before(async () => {
  if (skip) return;
  const script = path.join(fixtures, 'e2e_train.py');
  s = await runToLine({ script, line: lineOf(script, "print('LOSS'"), python, proxy: true });
});
after(async () => { await s?.close(); });

const evaluate = (expression: string, context: string) =>
  s!.client.request<DebugProtocol.EvaluateResponse['body']>('evaluate', { expression, frameId: s!.frameId, context });

test('hover evaluations of tensors answer the tensor line', { skip }, async () => {
  const act = await evaluate('act', 'hover');
  assert.match(act.result, /^tensor\[2, 3, 8, 8\] float32 cpu n=384 x∈\[.*\] μ=.* σ=.*stride \[192, 64, 8, 1\]$/);
  assert.ok(act.variablesReference > 0, 'still expandable');
  const inputs = await evaluate('inputs', 'hover');
  assert.match(inputs.result, /^tensor\[12, 8\] float32 cpu .*stride \[32, 1\] \(not contiguous\)$/);
  const loss = await evaluate('loss', 'hover');
  assert.match(loss.result, /^tensor\[\] float32 cpu n=1 .*grad MeanBackward0/);
});

test('other evaluations pass through untouched', { skip }, async () => {
  assert.match((await evaluate('act', 'repl')).result, /^tensor\(\[\[\[\[/);
  assert.equal((await evaluate('1 + 1', 'hover')).result, '2');
  assert.equal((await evaluate('model', 'hover')).result.startsWith('Sequential('), true);
  await assert.rejects(evaluate('nope', 'hover'));
});

test('the Variables view shows tensor lines for tensor variables', { skip }, async () => {
  const scopes = await s!.client.request<DebugProtocol.ScopesResponse['body']>('scopes', { frameId: s!.frameId });
  const ref = scopes.scopes[0]!.variablesReference;
  const vars = await s!.client.request<DebugProtocol.VariablesResponse['body']>('variables', { variablesReference: ref });
  const byName = new Map(vars.variables.map((v) => [v.name, v]));
  assert.equal(byName.get('act')!.value, 'tensor[2, 3, 8, 8] float32 cpu n=384');
  assert.equal(byName.get('loss')!.value, 'tensor[] float32 cpu n=1 grad MeanBackward0');
  assert.ok(byName.get('act')!.variablesReference > 0);
  // expanding the module keeps working, and its parameters are rewritten too
  const model = byName.get('model')!;
  const kids = await s!.client.request<DebugProtocol.VariablesResponse['body']>('variables', { variablesReference: model.variablesReference });
  assert.ok(kids.variables.length > 0);
});
