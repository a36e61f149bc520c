/**
 * Live hovers through real debugpy + real torch: the fixture writes what torch says about each
 * tensor before the breakpoint line; Tensorscope's answers (one evaluate each) must agree.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { StoppedSession } from '../../src/debug/session';
import { isLiveTensor, type HoverAnswer, type LiveTensor } from '../../src/debug/protocol';
import { hoverMarkdown, tensorLine, inlineText } from '../../src/debug/format';
import { HELPER_MODULE } from '../../src/debug/tensorHelper';
import { close, fixtures, lineOf, missingPython, stopInFixture, type FixtureStop } from './debug-util';

const skip = missingPython();
let s: StoppedSession | undefined;
let stop: FixtureStop<typeof expected> | undefined;
let expected: Record<string, Record<string, unknown> & { stats?: Record<string, number | null> }> = {};

before(async () => {
  if (skip) return;
  stop = await stopInFixture<typeof expected>('hover_cases.py');
  s = stop.session;
  expected = stop.expected;
});
after(async () => {
  await stop?.close();
});

function tensorOf(a: HoverAnswer): LiveTensor {
  assert.ok(!('error' in a), `unexpected error: ${'error' in a ? a.error : ''}`);
  assert.ok(isLiveTensor(a as LiveTensor), `not a tensor: ${JSON.stringify(a)}`);
  return a as LiveTensor;
}

test('stopped at the breakpoint line, before it ran', { skip }, () => {
  assert.equal(s!.frame.line, lineOf(path.join(fixtures, 'hover_cases.py')));
  assert.ok(!s!.output().includes('ready'), 'the BREAK line must not have run yet');
});

test('hover answers agree with torch on every tensor', { skip }, async () => {
  assert.ok(Object.keys(expected).length >= 16);
  for (const [expr, want] of Object.entries(expected)) {
    const got = tensorOf(await s!.helper.hover(expr, s!.frameId));
    for (const k of ['shape', 'dtype', 'stride', 'contiguous', 'requiresGrad', 'device', 'gradFn'] as const) {
      assert.deepEqual(got[k], want[k], `${expr}.${k}`);
    }
    if (want.stats) {
      assert.ok(got.stats, `${expr}: stats missing`);
      for (const k of ['min', 'max', 'mean', 'std', 'nan', 'inf'] as const) {
        assert.ok(close(got.stats[k], want.stats[k], 1e-9), `${expr}.stats.${k}: ${got.stats[k]} vs ${want.stats[k]}`);
      }
    } else {
      assert.equal(got.stats ?? null, null, `${expr}: a meta tensor has no statistics`);
      assert.match(got.note ?? '', /meta/);
    }
  }
});

test('NaN/Inf are counted and left out of the statistics', { skip }, async () => {
  const bad = tensorOf(await s!.helper.hover('bad', s!.frameId));
  assert.deepEqual([bad.stats!.nan, bad.stats!.inf, bad.stats!.min, bad.stats!.max], [1, 2, -2, 3]);
  assert.match(tensorLine(bad), /NaN!1 Inf!2/);
});

test('memory size, parameters, numpy arrays, channels_last', { skip }, async () => {
  const x = tensorOf(await s!.helper.hover('x', s!.frameId));
  assert.equal(x.bytes, 2 * 3 * 8 * 8 * 4);
  const p = tensorOf(await s!.helper.hover('model[0].weight', s!.frameId));
  assert.equal(p.isParameter, true);
  const arr = tensorOf(await s!.helper.hover('arr', s!.frameId));
  assert.equal(arr.kind, 'ndarray');
  assert.deepEqual(arr.stride, [4, 2]);
  const cl = tensorOf(await s!.helper.hover('cl', s!.frameId));
  assert.equal(cl.memoryFormat, 'channels_last');
  assert.match(hoverMarkdown({ ...x, expr: 'x', elapsedMs: 0 }), /\| shape \| `\[2, 3, 8, 8\]` \|/);
});

test('lists, tuples and dicts of tensors are summarized, never repr-ed', { skip }, async () => {
  const xs = await s!.helper.hover('xs', s!.frameId);
  assert.ok(!('error' in xs) && xs.kind === 'list');
  if ('error' in xs || xs.kind !== 'list') return;
  assert.equal(xs.length, 3);
  assert.equal(xs.tensors, 2);
  const first = xs.items[0]!.value;
  assert.ok(isLiveTensor(first));
  assert.deepEqual(first.shape, [2, 3, 8, 8]);
  assert.equal(first.stats, undefined, 'container members are not reduced');
  const d = await s!.helper.hover('d', s!.frameId);
  assert.ok(!('error' in d) && d.kind === 'dict' && d.tensors === 1);
  const m = await s!.helper.hover('model', s!.frameId);
  assert.ok(!('error' in m) && m.kind === 'module' && m.parameters === 2);
});

test('calls, assignments and undefined names are answered in one line, nothing evaluated', { skip }, async () => {
  for (const expr of ['x.sum()', 'x.zero_()', 'x + 1', 'lambda: 0', 'x.__class__']) {
    const a = await s!.helper.hover(expr, s!.frameId);
    assert.ok('error' in a && /refused|not evaluated|not a name/.test(a.error), `${expr}: ${JSON.stringify(a)}`);
  }
  const a = await s!.helper.hover('undefined_thing', s!.frameId);
  assert.deepEqual(a, { error: "name 'undefined_thing' is not defined" });
  const stats = tensorOf(await s!.helper.hover('x', s!.frameId));
  assert.ok(stats.stats!.min! < 0, 'x was not zeroed by a refused expression');
});

test('typed expressions with calls: evaluated once, the tensor pinned for reading its values', { skip }, async () => {
  const a = tensorOf(await s!.helper.hover('x[0].transpose(1, 2).sum(0)', s!.frameId, true, { calls: true }));
  assert.deepEqual(a.shape, [8, 8]);
  assert.match(a.ref ?? '', /^@pin:\d+$/);
  const { liveCheckpoint } = await import('../../src/debug/liveCheckpoint');
  const cp = liveCheckpoint(s!.helper, 'x[0].transpose(1, 2).sum(0)', s!.frameId, a);
  const got = Buffer.from(await cp.tensors[0]!.storage!.source!.read(0, 256));
  const want = Buffer.from((await s!.evaluator.evaluate(`__import__('base64').b64encode(x[0].transpose(1, 2).sum(0).contiguous().numpy().tobytes()).decode()`, s!.frameId)).replace(/^'|'$/g, ''), 'base64');
  assert.deepEqual(got, want);
  // a plain name is not pinned; an expression that raises answers one line
  assert.equal(tensorOf(await s!.helper.hover('x', s!.frameId, false, { calls: true })).ref, undefined);
  const err = await s!.helper.hover('x.no_such()', s!.frameId, false, { calls: true });
  assert.ok('error' in err && /^AttributeError: /.test(err.error), JSON.stringify(err));
  await assert.rejects(s!.helper.readBytes('@pin:999999', s!.frameId, 0, 4), /is gone/);
});

test('the helper is installed once, as a private module', { skip }, async () => {
  const r = await s!.evaluator.evaluate(`'${HELPER_MODULE}' in __import__('sys').modules`, s!.frameId);
  assert.equal(r, 'True');
});

test('inline shapes for the names of a line', { skip }, async () => {
  const shapes = await s!.helper.shapes(['x', 'w', 'arr', 'd', 'torch', 'nothing_here'], s!.frameId);
  assert.deepEqual(Object.keys(shapes).sort(), ['arr', 'w', 'x']);
  assert.equal(inlineText('x', shapes.x!), 'x: [2, 3, 8, 8] float32 cpu');
  assert.equal(inlineText('arr', shapes.arr!), 'arr: [3, 2] float32 (numpy)');
});

test('live tensors as in-memory checkpoints: real strides over the storage, values read in bounded slices', { skip }, async () => {
  const { liveCheckpoint } = await import('../../src/debug/liveCheckpoint');
  const { readDense } = await import('../../src/core/values');
  // torch's (numpy's) own values of `expr`, flattened in C order
  const valuesOf = async (expr: string): Promise<number[]> => (JSON.parse(JSON.parse((await s!.evaluator.evaluate(
    `__import__('json').dumps([float(v) for v in __import__('numpy').asarray(${expr}).reshape(-1).tolist()])`, s!.frameId)).replace(/^'|'$/g, '"'))) as number[]);
  for (const expr of ['xt', 'arr', 'half', 'mask', 'cl']) {
    const t = tensorOf(await s!.helper.hover(expr, s!.frameId));
    const cp = liveCheckpoint(s!.helper, expr, s!.frameId, t, { name: '<module>', source: 'hover_cases.py', line: 60 });
    const info = cp.tensors[0]!;
    assert.equal(cp.format, 'live');
    assert.equal(cp.meta.frame, '<module> (hover_cases.py:60)');
    if (t.kind === 'tensor') {
      // as torch has it: the view's own strides and offset over its storage's bytes
      assert.deepEqual([info.stride, info.storageOffset, info.contiguous], [t.stride, t.storageOffset, t.contiguous], expr);
      assert.equal(info.storage!.bytes, t.storageBytes, expr);
    } else {
      assert.equal(info.storage!.bytes, t.bytes, expr);
    }
    // the logical values (what the inspector's slices and statistics read) are torch's, in C order
    const dense = await readDense(info);
    assert.deepEqual(Array.from(dense.data as ArrayLike<number | bigint | boolean>, Number), await valuesOf(expr), `${expr}: values`);
    const part = await info.storage!.source!.read(3, 10);
    assert.equal(part.length, Math.min(10, info.storage!.bytes - 3), `${expr}: an unaligned slice`);
  }
  // xt = x[0, 0].t(): a transposed view of x's storage, 2·3·8·8 floats
  const xt = tensorOf(await s!.helper.hover('xt', s!.frameId));
  assert.deepEqual([xt.stride, xt.storageBytes], [[1, 8], 2 * 3 * 8 * 8 * 4]);
  const meta = tensorOf(await s!.helper.hover('meta', s!.frameId));
  assert.equal(liveCheckpoint(s!.helper, 'meta', s!.frameId, meta).tensors[0]!.storage!.source, null);
  await assert.rejects(s!.helper.readBytes('meta', s!.frameId, 0, 4), /meta tensor: no data/);
});
