/**
 * Layered layout of an autograd DAG (pure; no DOM): the root (the output's grad_fn) on top, each node
 * one layer below its deepest parent (longest path), nodes ordered inside layers by the barycenter of
 * their parents, then placed on a grid. Blocks that repeat ≥ 3 times along the graph's spine can be
 * collapsed into a single "× k" box.
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

/**
 * Collapse repeated blocks. The spine is the longest path from the output; each spine node owns the
 * nodes hanging off it (reachable without passing another spine node or an already-owned node). A run
 * of ≥ `minRepeats` consecutive spine segments whose block signature (names of the spine node and its
 * hanging nodes) repeats with a period of 1–8 segments becomes one group — a chain of MulBackward0 →
 * AddBackward0 steps, or residual blocks of a network, alike. Other nodes stay single.
 */
export function collapseRepeats(g: AutogradGraph, minRepeats = 3): { groups: number[][]; repeats: Map<number, { times: number; block: string[] }> } {
  const n = g.nodes.length;
  const groups: number[][] = [];
  const repeats = new Map<number, { times: number; block: string[] }>();
  const groupOf = new Array<number>(n).fill(-1);
  if (n > 0) {
    const out: number[][] = Array.from({ length: n }, () => []);
    const indeg = new Array<number>(n).fill(0);
    for (const [a, b] of g.edges) { out[a]!.push(b); indeg[b]!++; }
    // longest path from node 0 over a topological order
    const dist = new Array<number>(n).fill(-1);
    const prev = new Array<number>(n).fill(-1);
    dist[0] = 0;
    const queue: number[] = [];
    const deg = [...indeg];
    for (let v = 0; v < n; v++) if (deg[v] === 0) queue.push(v);
    for (let h = 0; h < queue.length; h++) {
      const v = queue[h]!;
      for (const c of out[v]!) {
        if (dist[v]! >= 0 && dist[v]! + 1 > dist[c]!) { dist[c] = dist[v]! + 1; prev[c] = v; }
        if (--deg[c]! === 0) queue.push(c);
      }
    }
    let end = 0;
    for (let v = 0; v < n; v++) if (dist[v]! > dist[end]!) end = v;
    const spine: number[] = [];
    for (let v = end; v >= 0; v = prev[v]!) spine.push(v);
    spine.reverse();
    const onSpine = new Array<boolean>(n).fill(false);
    for (const v of spine) onSpine[v] = true;
    // hanging nodes, claimed from the bottom of the spine up (so shared inputs go to the deepest user)
    const owner = new Array<number>(n).fill(-1);
    const hanging: number[][] = spine.map(() => []);
    for (let i = spine.length - 1; i >= 0; i--) {
      const stack = out[spine[i]!]!.filter((c) => !onSpine[c]);
      while (stack.length) {
        const v = stack.pop()!;
        if (owner[v]! >= 0 || onSpine[v]) continue;
        owner[v] = i;
        hanging[i]!.push(v);
        for (const c of out[v]!) if (!onSpine[c] && owner[c]! < 0) stack.push(c);
      }
    }
    const sig = spine.map((v, i) => `${g.nodes[v]!.name}|${hanging[i]!.map((h) => g.nodes[h]!.name).sort().join(',')}`);
    const same = (a: number, b: number, len: number): boolean => {
      for (let k = 0; k < len; k++) if (sig[a + k] !== sig[b + k]) return false;
      return true;
    };
    let i = 0;
    while (i < spine.length) {
      let best: { p: number; k: number } | null = null;
      for (let p = 1; p <= 8 && i + p * minRepeats <= spine.length; p++) {
        let k = 1;
        while (i + (k + 1) * p <= spine.length && same(i, i + k * p, p)) k++;
        if (k >= minRepeats && (!best || k * p > best.k * best.p)) best = { p, k };
      }
      if (!best) { i++; continue; }
      const members: number[] = [];
      for (let j = i; j < i + best.k * best.p; j++) members.push(spine[j]!, ...hanging[j]!);
      const gi = groups.length;
      groups.push(members);
      const block: string[] = [];
      for (let j = i; j < i + best.p; j++) block.push(g.nodes[spine[j]!]!.name);
      repeats.set(gi, { times: best.k, block });
      for (const m of members) groupOf[m] = gi;
      i += best.k * best.p;
    }
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
