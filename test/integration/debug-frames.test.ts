/** Frames without torch: a program that never imported it, and a frame whose module did not import it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runToLine } from '../../src/debug/session';
import { fixtures, lineOf, missingPython, python } from './debug-util';

const skip = missingPython();

test('a program without torch: plain values described, autograd answered in one line', { skip }, async () => {
  const script = path.join(fixtures, 'no_torch.py');
  const s = await runToLine({ script, line: lineOf(script), python });
  try {
    const items = await s.helper.hover('items', s.frameId);
    assert.ok(!('error' in items) && items.kind === 'list' && items.length === 3 && items.tensors === 0);
    const name = await s.helper.hover('name', s.frameId);
    assert.ok(!('error' in name) && name.kind === 'other' && name.repr === "'plain'");
    const g = await s.helper.autograd('items', s.frameId);
    assert.deepEqual(g, { error: 'torch is not imported in the debugged program' });
    assert.deepEqual(await s.helper.shapes(['items', 'name'], s.frameId), {});
    // asking did not import torch into the program
    assert.equal(await s.evaluator.evaluate("'torch' in __import__('sys').modules", s.frameId), 'False');
  } finally {
    await s.close();
  }
});

test('a frame where torch is not imported, holding tensors made elsewhere', { skip }, async () => {
  const script = path.join(fixtures, 'no_torch_frame.py');
  const s = await runToLine({ script, line: lineOf(script), python });
  try {
    const w = await s.helper.hover('w', s.frameId);
    assert.ok(!('error' in w) && w.kind === 'tensor');
    if ('error' in w || w.kind !== 'tensor') return;
    assert.deepEqual([w.shape, w.stats?.mean, w.requiresGrad], [[2, 2], 1, true]);
    const g = await s.helper.autograd('loss', s.frameId);
    assert.ok(!('error' in g));
    if ('error' in g) return;
    assert.deepEqual(g.nodes.map((n) => n.name), ['SumBackward0', 'MulBackward0', 'AccumulateGrad']);
    assert.deepEqual(g.leaves, [{ id: 2, shape: [2, 2], dtype: 'float32', name: 'w' }]);
  } finally {
    await s.close();
  }
});

test('a line the program never reaches ends with a clear message', { skip }, async () => {
  const script = path.join(fixtures, 'no_torch.py');
  await assert.rejects(runToLine({ script, line: 1000, python }), /has 6 lines: cannot stop at line 1000/);
  const dead = path.join(fixtures, 'unreached.py');
  await assert.rejects(runToLine({ script: dead, line: lineOf(dead), python, stopTimeoutMs: 20000 }), /finished without stopping at line \d+/);
});

test('every question has a timeout; the session stays usable after one fires', { skip }, async () => {
  const { DapEvaluator } = await import('../../src/debug/evaluator');
  const { TensorHelper } = await import('../../src/debug/tensorHelper');
  const script = path.join(fixtures, 'no_torch.py');
  const s = await runToLine({ script, line: lineOf(script), python });
  try {
    const impatient = new DapEvaluator(s.client, 300);
    await assert.rejects(impatient.evaluate("__import__('time').sleep(1.5)", s.frameId), /did not answer 'evaluate' within 300 ms/);
    // a helper whose install times out says so in one line
    const slow = new TensorHelper({ evaluate: () => impatient.evaluate("__import__('time').sleep(1.5)", s.frameId) });
    await assert.rejects(slow.hover('items', s.frameId), /^Error: could not install the helper in the debuggee: debug adapter did not answer 'evaluate' within 300 ms$/);
    await new Promise((r) => setTimeout(r, 2000));
    const items = await s.helper.hover('items', s.frameId);
    assert.ok(!('error' in items) && items.kind === 'list');
  } finally {
    await s.close();
  }
});
