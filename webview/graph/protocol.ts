/** Messages between the extension and the autograd-graph webview (webview/graph/main.ts). */
import type { AutogradGraph } from '../../src/debug/protocol';

export type ToGraphView =
  /** `collapse`: start with repeated blocks collapsed (default: when the graph has more than 300 nodes) */
  | { type: 'graph'; title: string; expr: string; graph: AutogradGraph; collapse?: boolean }
  | { type: 'error'; message: string };

export type FromGraphView =
  | { type: 'ready' }
  /** the webview rendered the graph (node count, ms from message to drawn) */
  | { type: 'rendered'; nodes: number; ms: number }
  /** save an export: SVG text made by the webview, or DOT made by the extension */
  | { type: 'export'; format: 'svg'; content: string }
  | { type: 'export'; format: 'dot' };

export function isFromGraphView(x: unknown): x is FromGraphView {
  if (typeof x !== 'object' || x === null) return false;
  const t = (x as { type?: unknown }).type;
  return t === 'ready' || t === 'rendered' || t === 'export';
}
