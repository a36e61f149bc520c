/** The autograd-graph layout (pure): layers, ordering, collapse of repeated blocks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapseRepeats, layoutGraph } from '../../webview/graph/layout';
import { chainGraph, residualGraph } from '../fixtures/debug/syntheticGraphs';

test('every edge goes down a layer; every node placed once; no overlaps in a layer', () => {
  for (const g of [chainGraph(10), residualGraph(12)]) {
    const l = layoutGraph(g);
    assert.equal(l.nodes.length, g.nodes.length);
    for (const e of l.edges) assert.ok(l.nodes[e.to]!.layer > l.nodes[e.from]!.layer, `${e.from}->${e.to}`);
    assert.equal(l.nodes[0]!.layer, 0, 'the output on top');
    const byLayer = new Map<number, number[]>();
    for (const n of l.nodes) byLayer.set(n.layer, [...(byLayer.get(n.layer) ?? []), n.x]);
    for (const xs of byLayer.values()) {
      xs.sort((a, b) => a - b);
      for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! - xs[i - 1]! >= 190, 'boxes do not overlap');
    }
  }
});

test('a repeated chain collapses into one box', () => {
  const g = chainGraph(100); // Sum, (Add, Mul) × 100, AccumulateGrad
  const { groups, repeats } = collapseRepeats(g);
  assert.equal(groups.flat().length, g.nodes.length, 'every node in exactly one group');
  assert.equal(new Set(groups.flat()).size, g.nodes.length);
  assert.equal(repeats.size, 1);
  const [[gi, rep]] = [...repeats];
  assert.deepEqual(rep, { times: 100, block: ['AddBackward0', 'MulBackward0'] });
  assert.equal(groups[gi]!.length, 200);
  const l = layoutGraph(g, { collapse: true });
  assert.equal(l.nodes.length, 3);
  const box = l.nodes.find((n) => n.repeat)!;
  assert.match(box.label, /^× 100 {2}AddBackward0 → MulBackward0$/);
  assert.equal(box.layer, 1, 'between the output and the leaf');
  assert.equal(l.layers, 3);
});

test('repeated residual blocks collapse too (not a linear chain)', () => {
  const g = residualGraph(50);
  const { groups, repeats } = collapseRepeats(g);
  assert.equal(repeats.size, 1);
  const [[gi, rep]] = [...repeats];
  // the longest path leaves the Add chain through the last block's Mm → T → AccumulateGrad, so that block stays open
  assert.equal(rep.times, 49);
  assert.deepEqual(rep.block, ['AddBackward0']);
  assert.equal(groups[gi]!.length, 49 * 4, 'Add, Mm, T, AccumulateGrad per block');
  const l = layoutGraph(g, { collapse: true });
  assert.equal(l.nodes.length, 1 + 1 + 4 + 1);
});

test('no collapse without repeats; thousands of nodes lay out', () => {
  const g = residualGraph(2);
  assert.equal(collapseRepeats(g).repeats.size, 0);
  const big = layoutGraph(residualGraph(1250));
  assert.equal(big.nodes.length, 5002);
  assert.ok(big.layers > 1000);
});
