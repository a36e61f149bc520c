/**
 * Autograd graphs through real debugpy + real torch, checked against torch's own breadth-first
 * next_functions walk written by the fixture (node names and edges), and against the shared
 * corpus truth `_autograd_linear_relu_sum`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StoppedSession } from '../../src/debug/session';
import type { AutogradAnswer, AutogradGraph } from '../../src/debug/protocol';
import { graphToDot } from '../../src/debug/format';
import { missingPython, stopInFixture, type FixtureStop, repoRoot } from './debug-util';

const skip = missingPython();
let s: StoppedSession | undefined;
let stop: FixtureStop<typeof expected> | undefined;
let expected: Record<string, { nodes: string[]; edges: [number, number][] }> = {};

before(async () => {
  if (skip) return;
  stop = await stopInFixture<typeof expected>('autograd_cases.py', 30000);
  s = stop.session;
  expected = stop.expected;
});
after(async () => {
  await stop?.close();
});

function graph(a: AutogradAnswer): AutogradGraph {
  assert.ok(!('error' in a), `unexpected error: ${'error' in a ? a.error : ''}`);
  return a as AutogradGraph;
}

/** Renumber a graph in depth-first preorder from node 0, children in edge order (to compare with other numberings). */
function canonical(names: string[], edges: [number, number][]): { nodes: string[]; edges: string[] } {
  const children = new Map<number, number[]>();
  for (const [a, b] of edges) children.set(a, [...(children.get(a) ?? []), b]);
  const order = new Map<number, number>();
  const visit = (n: number): void => {
    if (order.has(n)) return;
    order.set(n, order.size);
    for (const c of children.get(n) ?? []) visit(c);
  };
  visit(0);
  const nodes: string[] = [];
  for (const [n, i] of order) nodes[i] = names[n]!;
  return { nodes, edges: edges.map(([a, b]) => `${order.get(a)}->${order.get(b)}`).sort() };
}

for (const name of ['lin', 'ip', 'views', 'out', 'big', 'freed']) {
  test(`graph of '${name}' matches torch's next_functions walk`, { skip }, async () => {
    const g = graph(await s!.helper.autograd(name, s!.frameId, 5000));
    const want = expected[name]!;
    assert.ok(want.nodes.length > 0);
    assert.deepEqual(g.nodes.map((n) => n.name), want.nodes);
    assert.deepEqual(g.edges, want.edges);
    assert.deepEqual(g.nodes.map((n) => n.id), g.nodes.map((_, i) => i));
    assert.equal(g.truncated, false);
    assert.equal(g.leaves.length, g.nodes.filter((n) => n.name === 'AccumulateGrad').length);
    assert.ok(typeof g.elapsedMs === 'number' && g.elapsedMs > 0);
  });
}

test('in-place ops and views appear as their backward nodes', { skip }, async () => {
  const ip = graph(await s!.helper.autograd('ip', s!.frameId));
  assert.deepEqual(ip.nodes.map((n) => n.name), ['SumBackward0', 'ReluBackward0', 'AddBackward0', 'MulBackward0', 'AccumulateGrad']);
  const views = graph(await s!.helper.autograd('views', s!.frameId));
  for (const n of ['ViewBackward0', 'SelectBackward0', 'UnsqueezeBackward0', 'ExpandBackward0', 'TBackward0']) {
    assert.ok(views.nodes.some((x) => x.name === n), `${n} in ${views.nodes.map((x) => x.name).join(',')}`);
  }
});

test('saved tensors and leaves: shapes, dtypes, parameter names', { skip }, async () => {
  const g = graph(await s!.helper.autograd('lin', s!.frameId));
  const mm = g.nodes.find((n) => n.name === 'MmBackward0')!;
  assert.deepEqual(mm.saved.find((e) => e.name === 'self'), { name: 'self', shape: [4, 3], dtype: 'float32', device: 'cpu' });
  assert.deepEqual(g.leaves.map((l) => [l.name, l.shape]).sort(), [['W', [5, 3]], ['b', [5]]]);
  const m = graph(await s!.helper.autograd('out', s!.frameId));
  assert.deepEqual(m.leaves.map((l) => l.name).sort(), ['model.0.bias', 'model.0.weight', 'model.2.bias', 'model.2.weight']);
  assert.ok(m.leaves.every((l) => l.parameter === true));
  const addmm = m.nodes.find((n) => n.name === 'AddmmBackward0')!;
  assert.ok(addmm.saved.some((e) => e.name === 'mat1' && Array.isArray(e.shape)));
  assert.match(graphToDot(m), /model\.0\.weight\\nAccumulateGrad/);
});

test('after backward() the saved tensors are gone: said per entry, the graph is still walked', { skip }, async () => {
  const g = graph(await s!.helper.autograd('freed', s!.frameId));
  const mul = g.nodes.find((n) => n.name === 'MulBackward0')!;
  const self = mul.saved.find((e) => e.name === 'self')!;
  assert.match(self.error ?? '', /freed|backward/i, JSON.stringify(self));
});

test('a graph of thousands of nodes; the node cap truncates it', { skip }, async () => {
  const full = graph(await s!.helper.autograd('big', s!.frameId, 5000));
  assert.ok(full.nodes.length > 3000, `${full.nodes.length} nodes`);
  const capped = graph(await s!.helper.autograd('big', s!.frameId, 100));
  assert.equal(capped.nodes.length, 100);
  assert.equal(capped.truncated, true);
  assert.ok(capped.edges.every(([a, b]) => a < 100 && b < 100));
});

test('a tensor without grad_fn, and things that are not tensors', { skip }, async () => {
  const plain = graph(await s!.helper.autograd('plain', s!.frameId));
  assert.deepEqual([plain.nodes, plain.edges], [[], []]);
  assert.match(plain.note ?? '', /no grad_fn \(requires_grad=False\)/);
  const leaf = graph(await s!.helper.autograd('W', s!.frameId));
  assert.match(leaf.note ?? '', /a leaf that requires grad/);
  const notTensor = await s!.helper.autograd('model', s!.frameId);
  assert.ok('error' in notTensor && /not a tensor/.test(notTensor.error));
  const call = await s!.helper.autograd('lin.sum()', s!.frameId);
  assert.ok('error' in call && /refused/.test(call.error), 'unasked (no calls option): refused');
});

test('a typed expression with calls is evaluated as the Debug Console would', { skip }, async () => {
  const g = graph(await s!.helper.autograd('lin.sum()', s!.frameId, 5000, { calls: true }));
  assert.equal(g.nodes[0]!.name, 'SumBackward0');
  const lin = graph(await s!.helper.autograd('lin', s!.frameId));
  assert.equal(g.nodes.length, lin.nodes.length + 1, 'one node more than lin itself');
  const bad = await s!.helper.autograd('lin.no_such_method()', s!.frameId, 5000, { calls: true });
  assert.ok('error' in bad && /^AttributeError: /.test(bad.error) && !bad.error.includes('\n'), JSON.stringify(bad));
});

test('corpus truth _autograd_linear_relu_sum', async (t) => {
  const truthFile = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11', 'truth.json');
  if (!existsSync(truthFile)) { t.skip(`shared corpus not found at ${truthFile}`); return; }
  if (skip) { t.skip(skip); return; }
  const truth = (JSON.parse(readFileSync(truthFile, 'utf8')) as { files: Record<string, { nodes: string[]; edges: [number, number][] }> })
    .files._autograd_linear_relu_sum!;
  const g = graph(await s!.helper.autograd('lin', s!.frameId));
  // the truth numbers nodes depth-first, we number them breadth-first: compare canonical forms
  assert.deepEqual(canonical(g.nodes.map((n) => n.name), g.edges), canonical(truth.nodes, truth.edges));
});
