/**
 * The Content view's extra knowledge: optimizer state entries mapped to parameter names
 * (`param_groups[*].params` order ↔ the model state dict's parameter order). Pure.
 */
import type { JsonValue, TensorInfo } from '../core/model';
import { dtypeInfo } from '../core/dtype';
import { looksLikeParameter } from './summary';

export interface OptimizerMap {
  /** dotted path of the optimizer state dict inside the content (`optimizer`, `optimizer_states.0`, `` for the root) */
  path: string;
  /** tensor-name prefix of the model whose parameters were matched (`model`, `state_dict`, `` for the root) */
  modelPrefix: string;
  /** parameter id (as in `state` keys and `params` lists) → parameter name */
  names: Record<string, string>;
  /** true when every id is mapped and every state tensor's shape (exp_avg, momentum_buffer, …) is its parameter's */
  exact: boolean;
  /** ids whose state shape was checked against the parameter's (agreeing) */
  checked: number;
  /** floating-point tensors of the model passed over between parameters (buffers: `mask`, `running_var`, …) */
  skipped: string[];
}

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{state: {...}, param_groups: [{params: [0, 1, …]}, …]}` */
function paramIdsOf(v: JsonValue): number[] | null {
  if (!isObject(v) || !Array.isArray(v.param_groups)) return null;
  if (!('state' in v)) return null;
  const ids: number[] = [];
  for (const g of v.param_groups) {
    if (!isObject(g) || !Array.isArray(g.params)) return null;
    for (const p of g.params) if (typeof p === 'number') ids.push(p);
  }
  return ids;
}

/** Find every optimizer state dict in the content tree (bounded walk). */
export function findOptimizers(content: JsonValue, maxDepth = 6): Array<{ path: string; ids: number[] }> {
  const found: Array<{ path: string; ids: number[] }> = [];
  const walk = (v: JsonValue, path: string, depth: number) => {
    if (depth > maxDepth || v === null || typeof v !== 'object') return;
    const ids = paramIdsOf(v);
    if (ids) { found.push({ path, ids }); return; }
    const entries: Array<[string, JsonValue]> = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [k, x] of entries.slice(0, 200)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(content, '', 0);
  return found;
}

type ParamTensor = Pick<TensorInfo, 'name' | 'dtype' | 'shape' | 'isParameter'>;

/**
 * A tensor an optimizer can hold state for: floating point (parameters are; `kernel_size`-like integer buffers
 * are not), and a parameter where the file says (a pickled module), else not a known buffer or training state.
 */
function canBeParameter(t: ParamTensor): boolean {
  let kind: string;
  try { kind = dtypeInfo(t.dtype).kind; } catch { return false; }
  if (kind !== 'float' && kind !== 'complex') return false;
  return looksLikeParameter(t);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The shape of an id's per-parameter state (exp_avg, momentum_buffer, square_avg, …: the first non-scalar). */
function stateShapes(content: JsonValue, path: string, byName: ReadonlyMap<string, ParamTensor>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let opt: JsonValue | undefined = content;
  for (const seg of path ? path.split('.') : []) opt = isObject(opt) ? opt[seg] : Array.isArray(opt) ? opt[Number(seg)] : undefined;
  const state = isObject(opt) ? opt.state : undefined;
  if (!isObject(state)) return out;
  for (const [id, entry] of Object.entries(state)) {
    if (!isObject(entry)) continue;
    for (const v of Object.values(entry)) {
      const t = isObject(v) && typeof v.$tensor === 'string' ? byName.get(v.$tensor) : undefined;
      if (t && t.shape.length > 0) { out.set(id, [...t.shape]); break; }
    }
  }
  return out;
}

/**
 * Pair ids (param_groups order) with candidate parameters (file order) as torch pairs them with
 * `model.parameters()`: in order, skipping a candidate whose shape is not the id's state shape (a float buffer
 * the optimizer never saw). Null when some id finds no candidate.
 */
function alignByShape(ids: readonly number[], names: readonly string[], shapeOf: (name: string) => readonly number[], shapes: ReadonlyMap<string, number[]>): { names: string[]; checked: number; skipped: string[] } | null {
  const out: string[] = [];
  const skipped: string[] = [];
  let checked = 0;
  let j = 0;
  for (const id of ids) {
    const want = shapes.get(String(id));
    while (j < names.length && want && !sameShape(shapeOf(names[j]), want)) skipped.push(names[j++]);
    if (j >= names.length) return null;
    if (want) checked++;
    out.push(names[j++]);
  }
  return { names: out, checked, skipped };
}

/**
 * Map each optimizer's parameter ids to the names of the model's parameters: the k-th id of `param_groups`
 * is the k-th tensor of `model.parameters()`, which the file gives as its floating-point parameters in order;
 * the state's shapes (exp_avg, momentum_buffer) check, and where needed steer, the pairing.
 */
export function mapOptimizerParams(content: JsonValue, tensors: readonly ParamTensor[]): OptimizerMap[] {
  const optimizers = findOptimizers(content);
  if (!optimizers.length) return [];
  const optPaths = optimizers.map((o) => o.path);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const shapeOf = (name: string): readonly number[] => byName.get(name)?.shape ?? [];
  // candidate models: parameters grouped by their first segment, excluding the optimizer sections
  const groups = new Map<string, string[]>();
  for (const t of tensors) {
    const name = t.name;
    if (optPaths.some((p) => (p === '' ? false : name === p || name.startsWith(`${p}.`)))) continue;
    if (!canBeParameter(t)) continue;
    const dot = name.indexOf('.');
    const top = dot > 0 ? name.slice(0, dot) : '';
    const list = groups.get(top) ?? [];
    list.push(name);
    groups.set(top, list);
  }
  // a root-level state dict (`{"conv.weight": …}`) has many first segments; treat the whole set as one model
  const candidates: Array<{ prefix: string; names: string[] }> = [];
  for (const [prefix, names] of groups) if (prefix !== '') candidates.push({ prefix, names });
  candidates.push({ prefix: '', names: [...groups.values()].flat() });
  return optimizers.map((o) => {
    const ids: number[] = [];
    for (const id of o.ids) if (!ids.includes(id)) ids.push(id);
    const shapes = stateShapes(content, o.path, byName);
    let best: { prefix: string; names: string[]; checked: number; exact: boolean; skipped: string[] } | null = null;
    for (const c of candidates) {
      const a = alignByShape(ids, c.names, shapeOf, shapes);
      if (!a) continue;
      const exact = a.checked === ids.length;
      const better = !best || Number(exact) > Number(best.exact) || (exact === best.exact && a.checked > best.checked)
        || (exact === best.exact && a.checked === best.checked && c.names.length === ids.length && best.names.length !== ids.length);
      if (better) best = { prefix: c.prefix, names: a.names, checked: a.checked, exact, skipped: a.skipped };
    }
    const names: Record<string, string> = {};
    if (!best) {
      // no candidate fits the shapes: plain order over the largest model, said to be approximate
      const c = candidates.filter((x) => x.prefix !== '').sort((x, y) => y.names.length - x.names.length)[0] ?? candidates[candidates.length - 1];
      ids.forEach((id, k) => { if (k < c.names.length) names[String(id)] = c.names[k]; });
      return { path: o.path, modelPrefix: c.prefix, names, exact: false, checked: 0, skipped: [] };
    }
    ids.forEach((id, k) => { names[String(id)] = best.names[k]; });
    return { path: o.path, modelPrefix: best.prefix, names, exact: best.exact, checked: best.checked, skipped: best.exact ? best.skipped : [] };
  });
}

/**
 * Display names for optimizer state tensors, by parameter: `optimizer_states.0.state.2.exp_avg` →
 * `optimizer_states.0.state[conv1.lin.weight].exp_avg` (the parameter named without its model prefix).
 */
export function optimizerAliases(maps: readonly OptimizerMap[], names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of maps) {
    const stateDot = m.path ? `${m.path}.state.` : 'state.';
    for (const name of names) {
      if (!name.startsWith(stateDot)) continue;
      const rest = name.slice(stateDot.length);
      const dot = rest.indexOf('.');
      const id = dot < 0 ? rest : rest.slice(0, dot);
      const param = m.names[id];
      if (param === undefined) continue;
      const short = m.modelPrefix && param.startsWith(`${m.modelPrefix}.`) ? param.slice(m.modelPrefix.length + 1) : param;
      out.set(name, `${stateDot.slice(0, -1)}[${short}]${dot < 0 ? '' : rest.slice(dot)}`);
    }
  }
  return out;
}

/**
 * A copy of the content tree with at most `maxChildren` entries per object/array and `maxNodes` nodes in all;
 * what is left out becomes `{"$more": N}` (N entries not shown). Keeps the init message small for files with
 * 100,000 tensors (the tensors themselves are in the table).
 */
export function boundContent(content: JsonValue, maxChildren = 500, maxNodes = 20_000): JsonValue {
  let budget = maxNodes;
  const walk = (v: JsonValue): JsonValue => {
    budget--;
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      const out: JsonValue[] = [];
      for (let i = 0; i < v.length; i++) {
        if (i >= maxChildren || budget <= 0) { out.push({ $more: v.length - i }); break; }
        out.push(walk(v[i]));
      }
      return out;
    }
    const out: { [key: string]: JsonValue } = {};
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      if (i >= maxChildren || budget <= 0) { out['$more'] = keys.length - i; break; }
      out[keys[i]] = walk(v[keys[i]]);
    }
    return out;
  };
  return walk(content);
}
