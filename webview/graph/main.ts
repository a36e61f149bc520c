/**
 * The autograd-graph webview: a layered DAG drawn with d3 (SVG). Pan and zoom (wheel/drag), search
 * (highlights and centres matches), collapse repeated blocks, click a node for its details, export
 * SVG (made here) or DOT (made by the extension).
 */
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import type { AutogradGraph } from '../../src/debug/protocol';
import { GRAPH, type GraphProtocol } from '../../src/shared/protocol';
import type { HostNote } from '../../src/shared/channel';
import { connect } from '../channel';
import { layoutGraph, type Layout, type LayoutNode } from './layout';

const host = connect(GRAPH, (m) => onNote(m));

const SVG_NS = 'http://www.w3.org/2000/svg';
const STYLE = `
body { margin: 0; font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground, #222); background: var(--vscode-editor-background, #fff); overflow: hidden; }
#bar { display: flex; gap: 6px; align-items: center; padding: 4px 8px; height: 28px; overflow: hidden; white-space: nowrap; border-bottom: 1px solid var(--vscode-panel-border, #ccc); }
#bar input { flex: 0 1 220px; background: var(--vscode-input-background, #fff); color: var(--vscode-input-foreground, #000); border: 1px solid var(--vscode-input-border, #999); padding: 2px 4px; }
#bar button { white-space: nowrap; flex: none; background: var(--vscode-button-secondaryBackground, #eee); color: var(--vscode-button-secondaryForeground, #000); border: none; padding: 3px 8px; cursor: pointer; }
#bar .info { opacity: 0.8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
#main { position: relative; height: calc(100vh - 37px); }
#canvas { position: absolute; inset: 0; }
#details { position: absolute; top: 8px; right: 8px; width: 300px; max-width: 60%; max-height: calc(100% - 16px); overflow: auto; padding: 4px 10px 8px;
  font-size: 12px; background: var(--vscode-editorWidget-background, #f3f3f3); border: 1px solid var(--vscode-editorWidget-border, #ccc); box-shadow: 0 2px 8px rgba(0,0,0,.25); }
#details .close { float: right; cursor: pointer; border: none; background: none; color: inherit; font-size: 16px; }
#details:empty { display: none; }
#details table { border-collapse: collapse; } #details td { padding: 1px 6px 1px 0; vertical-align: top; font-family: var(--vscode-editor-font-family, monospace); }
svg text { font-family: var(--vscode-editor-font-family, monospace); pointer-events: none; }
`;
const NODE_FILL = '#2b6cb0';
const LEAF_FILL = '#2f855a';
const REPEAT_FILL = '#805ad5';

interface State { graph: AutogradGraph; title: string; expr: string; collapse: boolean; layout: Layout; selected: number | null; matches: number[]; matchAt: number }

let state: State | null = null;
let zoomer: ZoomBehavior<SVGSVGElement, unknown> | null = null;
let svgSel: Selection<SVGSVGElement, unknown, null, undefined> | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function buildShell(): void {
  const style = document.createElement('style');
  style.textContent = STYLE;
  document.head.appendChild(style);
  const app = document.getElementById('app')!;
  app.textContent = '';
  const bar = el('div', { id: 'bar' });
  const search = el('input', { id: 'search', type: 'search', placeholder: 'Search nodes (Enter: next)' });
  const collapse = el('button', { id: 'collapse', title: 'Collapse repeated blocks' }, 'Collapse repeats');
  const fit = el('button', { id: 'fit', title: 'Fit the graph' }, 'Fit');
  const svgBtn = el('button', { id: 'export-svg' }, 'Export SVG');
  const dotBtn = el('button', { id: 'export-dot' }, 'Export DOT');
  const info = el('span', { id: 'info', class: 'info' });
  bar.append(search, collapse, fit, svgBtn, dotBtn, info);
  const main = el('div', { id: 'main' });
  const canvas = el('div', { id: 'canvas' });
  const details = el('div', { id: 'details' });
  main.append(canvas, details);
  app.append(bar, main);
  search.addEventListener('input', () => doSearch(search.value, false));
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') doSearch(search.value, true); });
  collapse.addEventListener('click', () => {
    if (!state) return;
    state.collapse = !state.collapse;
    collapse.textContent = state.collapse ? 'Expand repeats' : 'Collapse repeats';
    render(false);
  });
  fit.addEventListener('click', () => fitView());
  svgBtn.addEventListener('click', () => host.note('export', { format: 'svg', content: exportSvg() }));
  dotBtn.addEventListener('click', () => host.note('export', { format: 'dot' }));
}

function render(fitAfter = true): void {
  if (!state) return;
  const t0 = performance.now();
  state.layout = layoutGraph(state.graph, { collapse: state.collapse });
  const { layout } = state;
  const canvas = document.getElementById('canvas')!;
  canvas.textContent = '';
  const svg = select(canvas).append('svg').attr('xmlns', SVG_NS).attr('id', 'graph-svg').attr('width', '100%').attr('height', '100%') as unknown as Selection<SVGSVGElement, unknown, null, undefined>;
  svgSel = svg;
  svg.append('defs').append('marker').attr('id', 'arrow').attr('viewBox', '0 0 10 10').attr('refX', 10).attr('refY', 5)
    .attr('markerWidth', 6).attr('markerHeight', 6).attr('orient', 'auto-start-reverse')
    .append('path').attr('d', 'M 0 0 L 10 5 L 0 10 z').attr('fill', '#888');
  const root = svg.append('g').attr('class', 'viewport');
  const byKey = layout.nodes;
  // edges: from a node's bottom to the child's top, as cubic curves, in one <path> per edge
  root.append('g').attr('class', 'edges').attr('fill', 'none').attr('stroke', '#888').attr('stroke-width', 1.2)
    .selectAll('path').data(layout.edges).join('path')
    .attr('marker-end', 'url(#arrow)')
    .attr('d', (e) => {
      const a = byKey[e.from]!;
      const b = byKey[e.to]!;
      const x1 = a.x + a.w / 2; const y1 = a.y + a.h; const x2 = b.x + b.w / 2; const y2 = b.y;
      const my = (y1 + y2) / 2;
      return `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
    });
  const nodes = root.append('g').attr('class', 'nodes').selectAll('g').data(layout.nodes).join('g')
    .attr('class', 'node').attr('data-name', (n) => n.label).attr('data-key', (n) => String(n.key))
    .attr('transform', (n) => `translate(${n.x},${n.y})`).style('cursor', 'pointer')
    .on('click', (_ev: MouseEvent, n: LayoutNode) => select_(n.key));
  nodes.append('rect').attr('width', (n) => n.w).attr('height', (n) => n.h).attr('rx', 5)
    .attr('fill', (n) => n.repeat ? REPEAT_FILL : n.leaf ? LEAF_FILL : NODE_FILL)
    .attr('stroke', (n) => state!.matches.includes(n.key) ? '#f6ad55' : n.key === state!.selected ? '#d53f8c' : 'none').attr('stroke-width', 3);
  // full names (`BinaryCrossEntropyWithLogitsBackward0`): a label longer than the box is squeezed to fit it;
  // only very long ones (repeated-block chains) are cut, and every box has its full text as a tooltip
  nodes.append('title').text((n) => (n.sub ? `${n.label}\n${n.sub}` : n.label));
  nodes.append('text').attr('class', 'label').attr('x', 8).attr('y', 16).attr('fill', '#fff').attr('font-size', 12)
    .text((n) => clip(n.label, LABEL_MAX)).each(function (n) { fitWidth(this, n.label, LABEL_FITS, n.w - 14); });
  nodes.append('text').attr('class', 'sub').attr('x', 8).attr('y', 32).attr('fill', '#e2e8f0').attr('font-size', 10)
    .text((n) => clip(n.sub, SUB_MAX)).each(function (n) { fitWidth(this, n.sub, SUB_FITS, n.w - 14); });
  zoomer = zoom<SVGSVGElement, unknown>().scaleExtent([0.02, 4]).on('zoom', (ev: { transform: { toString(): string } }) => {
    root.attr('transform', ev.transform.toString());
  });
  svg.call(zoomer);
  const g = state.graph;
  document.getElementById('info')!.textContent = `${state.expr}: ${g.nodes.length} nodes, ${g.edges.length} edges, ${g.leaves.length} leaves` +
    `${g.truncated ? ` (cut at ${g.maxNodes})` : ''}${state.collapse ? `, ${layout.nodes.length} boxes` : ''} · ${layout.layers} layers`;
  if (fitAfter) fitView();
  else if (state.selected !== null && state.selected >= layout.nodes.length) state.selected = null;
  const ms = performance.now() - t0;
  document.body.dataset.rendered = String(layout.nodes.length);
  host.note('rendered', { nodes: g.nodes.length, ms });
}

function clip(s: string, n: number): string { return s.length > n ? `${s.slice(0, n - 1)}…` : s; }

/** characters that fit a box at the label's (sub-line's) font size; up to *_MAX they are squeezed to fit */
const LABEL_FITS = 26;
const LABEL_MAX = 48;
const SUB_FITS = 32;
const SUB_MAX = 60;

/** Squeezes a text longer than `fits` characters into `width` pixels (SVG textLength), keeping every character. */
function fitWidth(el: SVGTextElement, text: string, fits: number, width: number): void {
  if (text.length <= fits) return;
  el.setAttribute('textLength', String(width));
  el.setAttribute('lengthAdjust', 'spacingAndGlyphs');
}

function fitView(): void {
  if (!state || !svgSel || !zoomer) return;
  const box = (svgSel.node() as SVGSVGElement).getBoundingClientRect();
  const { width, height } = state.layout;
  const fitAll = Math.min(box.width / Math.max(1, width), (box.height - 16) / Math.max(1, height));
  // the whole graph when it stays legible; else fit the width and start at the top (the output)
  const kk = Math.min(1, fitAll >= 0.45 ? fitAll : Math.max(0.02, Math.min(1, box.width / Math.max(1, width))));
  svgSel.call(zoomer.transform, zoomIdentity.translate((box.width - width * kk) / 2, 8).scale(kk));
}

function centerOn(n: LayoutNode): void {
  if (!svgSel || !zoomer) return;
  const box = (svgSel.node() as SVGSVGElement).getBoundingClientRect();
  const k = 1;
  svgSel.call(zoomer.transform, zoomIdentity.translate(box.width / 2 - (n.x + n.w / 2) * k, box.height / 3 - (n.y + n.h / 2) * k).scale(k));
}

function doSearch(q: string, jump: boolean): void {
  if (!state) return;
  const text = q.trim().toLowerCase();
  const hits = text ? state.layout.nodes.filter((n) => n.label.toLowerCase().includes(text) || n.sub.toLowerCase().includes(text)) : [];
  const changed = hits.map((h) => h.key).join(',') !== state.matches.join(',');
  state.matches = hits.map((h) => h.key);
  if (changed) state.matchAt = -1;
  select(document.getElementById('canvas')).selectAll<SVGGElement, LayoutNode>('g.node').select('rect')
    .attr('stroke', (n) => state!.matches.includes(n.key) ? '#f6ad55' : n.key === state!.selected ? '#d53f8c' : 'none');
  const info = document.getElementById('info')!;
  info.dataset.matches = String(hits.length);
  if (jump && hits.length) {
    state.matchAt = (state.matchAt + 1) % hits.length;
    const n = hits[state.matchAt]!;
    centerOn(n);
    select_(n.key);
  }
}

function select_(key: number): void {
  if (!state) return;
  state.selected = key;
  const n = state.layout.nodes[key]!;
  const details = document.getElementById('details')!;
  details.textContent = '';
  const closeBtn = el('button', { class: 'close', title: 'Close' }, '×');
  closeBtn.addEventListener('click', () => { details.textContent = ''; });
  details.append(closeBtn);
  details.append(el('h3', {}, n.repeat ? `${n.repeat.block.join(' → ')} × ${n.repeat.times}` : n.label));
  const table = el('table');
  const row = (k: string, v: string): void => { const tr = el('tr'); tr.append(el('td', {}, k), el('td', {}, v)); table.append(tr); };
  const g = state.graph;
  if (n.repeat) {
    row('nodes', String(n.members.length));
    row('ids', `${n.members[0]} … ${n.members[n.members.length - 1]}`);
  } else {
    const node = g.nodes[n.members[0]!]!;
    row('id', String(node.id));
    if (node.param) row('parameter', node.param);
    if (node.variable) row('variable', `[${node.variable.shape.join(', ')}] ${node.variable.dtype} ${node.variable.device}`);
    for (const s of node.saved) {
      const v = s.shape ? `[${s.shape.join(', ')}] ${s.dtype ?? ''}` : s.tensors ? s.tensors.map((t) => `[${t.shape.join(', ')}] ${t.dtype}`).join('; ')
        : s.error ? `(${s.error})` : JSON.stringify(s.value);
      row(`saved ${s.name}`, v);
    }
    const ins = g.edges.filter(([, b]) => b === node.id).map(([a]) => `${g.nodes[a]!.name} #${a}`);
    const outs = g.edges.filter(([a]) => a === node.id).map(([, b]) => `${g.nodes[b]!.name} #${b}`);
    row('from', ins.join(', ') || '— (the output)');
    row('next functions', outs.join(', ') || '—');
  }
  details.append(table);
  select(document.getElementById('canvas')).selectAll<SVGGElement, LayoutNode>('g.node').select('rect')
    .attr('stroke', (m) => state!.matches.includes(m.key) ? '#f6ad55' : m.key === key ? '#d53f8c' : 'none');
}

function exportSvg(): string {
  if (!state) return '';
  const svg = document.getElementById('graph-svg') as SVGSVGElement | null;
  if (!svg) return '';
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const { width, height } = state.layout;
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  clone.querySelector('g.viewport')?.removeAttribute('transform');
  const style = document.createElementNS(SVG_NS, 'style');
  style.textContent = 'text { font-family: monospace; }';
  clone.insertBefore(style, clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

function onNote(m: HostNote<GraphProtocol>): void {
  if (m.type === 'graph') {
    const g = m.body;
    const placeholder: Layout = { nodes: [], edges: [], width: 0, height: 0, layers: 0 };
    state = { graph: g.graph, title: g.title, expr: g.expr, collapse: g.collapse ?? g.graph.nodes.length > 300, layout: placeholder, selected: null, matches: [], matchAt: -1 };
    document.getElementById('collapse')!.textContent = state.collapse ? 'Expand repeats' : 'Collapse repeats';
    render(true);
  } else if (m.type === 'error') {
    document.getElementById('canvas')!.textContent = m.body.message;
  }
}

buildShell();
host.note('ready', {});
