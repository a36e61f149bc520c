/**
 * Layered layout of an autograd DAG (pure; no DOM): the root (the output's grad_fn) on top, each node
 * one layer below its deepest parent (longest path), nodes ordered inside layers by the barycenter of
 * their parents, then placed on a grid. Linear chains that repeat one block of backward nodes ≥ 3 times
 * can be collapsed into a single "× k" node.
 */
import type { AutogradGraph, GraphNode } from '../../src/debug/protocol';

export interface LayoutNode {
  /** index into the (possibly collapsed) node list */
  key: number;
  label: string;
  sub: string;
  /** graph node ids shown by this box (more than one when collapsed) */
  members: number[];
  layer: number;
  x: number;
  y: number;
  w: number;
  h: number;
  leaf: boolean;
  repeat?: { times: number; block: string[] };
}

export interface LayoutEdge { from: number; to: number }

export interface Layout { nodes: LayoutNode[]; edges: LayoutEdge[]; width: number; height: number; layers: number }

export interface LayoutOptions { collapse?: boolean; nodeW?: number; nodeH?: number; gapX?: number; gapY?: number }

function shapeText(s: number[]): string { return `[${s.join(', ')}]`; }

function subLabel(n: GraphNode): string {
  if (n.variable) return `${n.param ?? ''} ${shapeText(n.variable.shape)} ${n.variable.dtype}`.trim();
  const t = n.saved.find((e) => e.shape);
  return t?.shape ? `${t.name} ${shapeText(t.shape)}` : '';
}

/** Collapse periodic linear chains. Returns groups of node ids (each group becomes one box). */
export function collapseRepeats(g: AutogradGraph, minRepeats = 3): { groups: number[][]; repeats: Map<number, { times: number; block: string[] }> } {
  const n = g.nodes.length;
  const out: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Array<number>(n).fill(0);
  const par = new Array<number>(n).fill(-1);
  for (const [a, b] of g.edges) { out[a]!.push(b); indeg[b]!++; par[b] = a; }
  const inChain = (v: number): boolean => indeg[v] === 1 && out[v]!.length === 1;
  const groupOf = new Array<number>(n).fill(-1);
  const groups: number[][] = [];
  const repeats = new Map<number, { times: number; block: string[] }>();
  const visitedChain = new Array<boolean>(n).fill(false);
  for (let v = 0; v < n; v++) {
    if (visitedChain[v] || !inChain(v)) continue;
    // only start at the head of a chain: its parent is not a chain node
    const p0 = par[v]!;
    if (p0 >= 0 && inChain(p0) && !visitedChain[p0]) continue;
    const chain: number[] = [];
    for (let c = v; inChain(c) && !visitedChain[c]; c = out[c]![0]!) { visitedChain[c] = true; chain.push(c); }
    const names = chain.map((c) => g.nodes[c]!.name);
    // find the smallest period p with at least minRepeats full repetitions from the start
    let best: { p: number; k: number } | null = null;
    for (let p = 1; p <= Math.min(8, Math.floor(names.length / minRepeats)); p++) {
      let k = 1;
      while ((k + 1) * p <= names.length && names.slice(k * p, (k + 1) * p).every((x, i) => x === names[i])) k++;
      if (k >= minRepeats && (!best || k * p > best.k * best.p)) best = { p, k };
    }
    if (!best) continue;
    const members = chain.slice(0, best.k * best.p);
    const gi = groups.length;
    groups.push(members);
    repeats.set(gi, { times: best.k, block: names.slice(0, best.p) });
    for (const m of members) groupOf[m] = gi;
  }
  for (let v = 0; v < n; v++) if (groupOf[v] === -1) { groupOf[v] = groups.length; groups.push([v]); }
  return { groups, repeats };
}

export function layoutGraph(g: AutogradGraph, opts: LayoutOptions = {}): Layout {
  const nodeW = opts.nodeW ?? 190;
  const nodeH = opts.nodeH ?? 40;
  const gapX = opts.gapX ?? 24;
  const gapY = opts.gapY ?? 34;
  let groups: number[][];
  let repeats = new Map<number, { times: number; block: string[] }>();
  if (opts.collapse) ({ groups, repeats } = collapseRepeats(g));
  else groups = g.nodes.map((n) => [n.id]);
  const keyOf = new Array<number>(g.nodes.length);
  groups.forEach((members, k) => { for (const m of members) keyOf[m] = k; });
  const edgeSet = new Set<string>();
  const edges: LayoutEdge[] = [];
  for (const [a, b] of g.edges) {
    const from = keyOf[a]!;
    const to = keyOf[b]!;
    if (from === to) continue;
    const id = `${from}>${to}`;
    if (!edgeSet.has(id)) { edgeSet.add(id); edges.push({ from, to }); }
  }
  const K = groups.length;
  const children: number[][] = Array.from({ length: K }, () => []);
  const parents: number[][] = Array.from({ length: K }, () => []);
  const indeg = new Array<number>(K).fill(0);
  for (const e of edges) { children[e.from]!.push(e.to); parents[e.to]!.push(e.from); indeg[e.to]!++; }
  // longest-path layering over a topological order (Kahn); the graph is a DAG
  const layer = new Array<number>(K).fill(0);
  const queue: number[] = [];
  for (let k = 0; k < K; k++) if (indeg[k] === 0) queue.push(k);
  const topo: number[] = [];
  for (let h = 0; h < queue.length; h++) {
    const k = queue[h]!;
    topo.push(k);
    for (const c of children[k]!) {
      if (layer[k]! + 1 > layer[c]!) layer[c] = layer[k]! + 1;
      if (--indeg[c]! === 0) queue.push(c);
    }
  }
  if (topo.length < K) for (let k = 0; k < K; k++) if (!topo.includes(k)) topo.push(k); // defensive: cycles never happen in autograd
  const nLayers = Math.max(0, ...layer) + 1;
  const rows: number[][] = Array.from({ length: nLayers }, () => []);
  for (const k of topo) rows[layer[k]!]!.push(k);
  // barycenter ordering, top-down, two sweeps
  const pos = new Array<number>(K).fill(0);
  rows.forEach((r) => r.forEach((k, i) => { pos[k] = i; }));
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let l = 1; l < nLayers; l++) {
      const r = rows[l]!;
      const bc = new Map<number, number>();
      for (const k of r) {
        const ps = parents[k]!;
        bc.set(k, ps.length ? ps.reduce((s, p) => s + pos[p]!, 0) / ps.length : pos[k]!);
      }
      r.sort((a, b) => bc.get(a)! - bc.get(b)! || a - b);
      r.forEach((k, i) => { pos[k] = i; });
    }
  }
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = widest * (nodeW + gapX);
  const nodes: LayoutNode[] = new Array<LayoutNode>(K);
  rows.forEach((r, l) => {
    const offset = (width - r.length * (nodeW + gapX)) / 2;
    r.forEach((k, i) => {
      const members = groups[k]!;
      const first = g.nodes[members[0]!]!;
      const rep = repeats.get(k);
      nodes[k] = {
        key: k,
        label: rep ? `× ${rep.times}  ${rep.block.join(' → ')}` : first.name,
        sub: rep ? `${members.length} nodes (collapsed)` : subLabel(first),
        members, layer: l,
        x: offset + i * (nodeW + gapX) + gapX / 2, y: l * (nodeH + gapY) + gapY / 2, w: nodeW, h: nodeH,
        leaf: !rep && first.name === 'AccumulateGrad',
        ...(rep ? { repeat: rep } : {}),
      };
    });
  });
  return { nodes, edges, width, height: nLayers * (nodeH + gapY), layers: nLayers };
}
