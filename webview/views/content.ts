/**
 * The Content view: the non-tensor rest of the file as a collapsible tree (epoch, step, args, hyper-parameters,
 * Lightning sections, optimizer and scheduler state), with optimizer state entries labelled by the parameter
 * they belong to. Native <details>, text only, bounded.
 */
import { h, clear } from '../dom';
import type { JsonValue } from '../../src/core/model';
import type { OptimizerMap } from '../../src/shared/content';
import type { App } from '../app';

const MAX_CHILDREN = 200;

export class ContentView {
  readonly element = h('section', { class: 'view content-view', attrs: { id: 'view-content' } });
  private optimizers: OptimizerMap[] = [];

  constructor(private readonly app: App) {}

  update(content: JsonValue, optimizers: OptimizerMap[]): void {
    this.optimizers = optimizers;
    clear(this.element);
    if (optimizers.length) {
      this.element.append(h('p', { class: 'muted' }, ...optimizers.map((o) => `Optimizer state at “${o.path || '(root)'}”: ${Object.keys(o.names).length} entries mapped to parameters of “${o.modelPrefix || '(root)'}” by order among floating-point parameters${o.exact ? ', exact: every state shape agrees' : ` (approximate: ${o.checked} of ${Object.keys(o.names).length} shapes checked)`}. `)));
    }
    const root = h('div', { class: 'tree', attrs: { id: 'content-tree', role: 'tree' } });
    root.append(this.node('', '', content, 0, true));
    this.element.append(root);
  }

  private paramName(path: string, key: string, value: JsonValue): string | null {
    for (const o of this.optimizers) {
      const base = o.path ? `${o.path}.` : '';
      if (path === `${base}state`) return o.names[key] ?? null;
      if (typeof value === 'number' && new RegExp(`^${escapeRe(base)}param_groups\\.\\d+\\.params$`).test(path)) return o.names[String(value)] ?? null;
    }
    return null;
  }

  private node(path: string, key: string, v: JsonValue, depth: number, open: boolean): HTMLElement {
    const label = key === '' ? '(root)' : key;
    const full = path === '' ? key : `${path}.${key}`;
    const pname = this.paramName(path, key, v);
    const arrow = pname ? h('span', { class: 'param-name', title: 'the parameter this entry belongs to' }, ` → ${pname}`) : null;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.$tensor === 'string' && Object.keys(v).length === 1) {
      const name = v.$tensor;
      return h('div', { class: 'leaf' }, h('span', { class: 'key' }, label), ': ',
        h('a', { class: 'tensor-link', attrs: { href: '#', 'data-tensor': name }, on: { click: (e) => { e.preventDefault(); this.app.openDetails(name); } } }, `tensor ${name}`), arrow);
    }
    if (key === '$more' && typeof v === 'number') {
      return h('div', { class: 'leaf muted' }, `… ${v} more entries not shown (every tensor is in the Tensors table)`);
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.$more === 'number' && Object.keys(v).length === 1) {
      return h('div', { class: 'leaf muted' }, `… ${v.$more} more entries not shown`);
    }
    if (v === null || typeof v !== 'object') {
      return h('div', { class: 'leaf' }, h('span', { class: 'key' }, label), ': ', h('span', { class: `value v-${v === null ? 'null' : typeof v}` }, typeof v === 'string' ? JSON.stringify(v) : String(v)), arrow);
    }
    const entries: Array<[string, JsonValue]> = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    const summary = Array.isArray(v) ? `[${v.length}]` : `{${entries.length}}`;
    const details = h('details', { attrs: { open: open || depth < 1 } },
      h('summary', null, h('span', { class: 'key' }, label), ' ', h('span', { class: 'muted' }, summary), arrow));
    let filled = false;
    const fill = () => {
      if (filled) return;
      filled = true;
      for (const [k, x] of entries.slice(0, MAX_CHILDREN)) details.append(this.node(full, k, x, depth + 1, false));
      if (entries.length > MAX_CHILDREN) details.append(h('div', { class: 'muted' }, `… ${entries.length - MAX_CHILDREN} more`));
    };
    if (open || depth < 1) fill();
    details.addEventListener('toggle', fill);
    return details;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
