/**
 * The Content view's extra knowledge: optimizer state entries mapped to parameter names
 * (`param_groups[*].params` order ↔ the model state dict's parameter order). Pure.
 */
import type { JsonValue } from '../core/model';
import { looksLikeParameter } from './summary';

export interface OptimizerMap {
  /** dotted path of the optimizer state dict inside the content (`optimizer`, `optimizer_states.0`, `` for the root) */
  path: string;
  /** tensor-name prefix of the model whose parameters were matched (`model`, `state_dict`, `` for the root) */
  modelPrefix: string;
  /** parameter id (as in `state` keys and `params` lists) → parameter name */
  names: Record<string, string>;
  /** true when the number of ids equals the number of the model's parameters */
  exact: boolean;
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

/** Map each optimizer's parameter ids to the names of the model's parameters, in order. */
export function mapOptimizerParams(content: JsonValue, tensorNames: readonly string[]): OptimizerMap[] {
  const optimizers = findOptimizers(content);
  if (!optimizers.length) return [];
  const optPaths = optimizers.map((o) => o.path);
  // candidate models: tensors grouped by their first segment, excluding the optimizer sections
  const groups = new Map<string, string[]>();
  for (const name of tensorNames) {
    if (optPaths.some((p) => (p === '' ? false : name === p || name.startsWith(`${p}.`)))) continue;
    if (!looksLikeParameter({ name, dtype: 'float32' })) continue;
    const dot = name.indexOf('.');
    const top = dot > 0 ? name.slice(0, dot) : '';
    const list = groups.get(top) ?? [];
    list.push(name);
    groups.set(top, list);
  }
  // a root-level state dict (`{"conv.weight": …}`) has many first segments; treat the whole set as one model
  const candidates: Array<{ prefix: string; names: string[] }> = [];
  for (const [prefix, names] of groups) candidates.push({ prefix, names });
  const all = [...groups.values()].flat();
  candidates.push({ prefix: '', names: all });
  return optimizers.map((o) => {
    const wanted = new Set(o.ids).size;
    const exact = candidates.find((c) => c.names.length === wanted && c.prefix !== '') ?? candidates.find((c) => c.names.length === wanted);
    const chosen = exact ?? candidates.filter((c) => c.prefix !== '').sort((a, b) => b.names.length - a.names.length)[0] ?? candidates[candidates.length - 1];
    // ids are assigned in param_groups order: the k-th distinct id ↔ the k-th parameter
    const names: Record<string, string> = {};
    const seen: number[] = [];
    for (const id of o.ids) if (!seen.includes(id)) seen.push(id);
    seen.forEach((id, k) => { if (k < chosen.names.length) names[String(id)] = chosen.names[k]; });
    return { path: o.path, modelPrefix: chosen.prefix, names, exact: exact !== undefined };
  });
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
