/**
 * Key matching between two state dicts as `model.load_state_dict(sd)` sees it: `a` is the model's state dict
 * (what the model expects), `b` the one being loaded.
 *   missing     keys of a that b lacks          (torch's missing_keys)
 *   unexpected  keys of b that a lacks          (torch's unexpected_keys)
 *   shape       keys in both with other shapes  (torch's "size mismatch for K: copying a param with shape … from
 *               checkpoint, the shape in current model is …")
 *   dtype       keys in both with the same shape and other dtypes (torch copies with a cast; reported here)
 * The `module.` prefix that DataParallel / DistributedDataParallel add is detected (on either side) and aligned
 * first, as `torch.nn.modules.utils.consume_prefix_in_state_dict_if_present` would; names are reported without it.
 * Lists keep each side's key order (torch orders by module traversal, which a file does not record).
 */
import type { DTypeName } from './dtype';

export interface KeyedTensor {
  name: string;
  dtype: DTypeName;
  shape: readonly number[];
}

export interface PrefixAlignment {
  /** prefix removed from every key of a ('' = none) */
  a: string;
  /** prefix removed from every key of b ('' = none) */
  b: string;
}

export interface KeyPair<T extends KeyedTensor> {
  key: string;
  a: T;
  b: T;
}

export interface StateDictMatch<T extends KeyedTensor> {
  missing: string[];
  unexpected: string[];
  shapeMismatch: { key: string; aShape: number[]; bShape: number[]; message: string }[];
  dtypeMismatch: { key: string; aDtype: DTypeName; bDtype: DTypeName }[];
  /** same key, same shape (dtype may differ): comparable values */
  matched: KeyPair<T>[];
  alignment: PrefixAlignment | null;
}

const PREFIXES = ['module.', '_orig_mod.', 'model.', 'state_dict.', 'model.module.', 'state_dict.module.', 'state_dict.model.'];

function overlap(a: readonly string[], b: ReadonlySet<string>): number {
  let n = 0;
  for (const k of a) if (b.has(k)) n++;
  return n;
}

/** Prefixes every key of the list carries ('' always). */
function candidates(keys: readonly string[]): string[] {
  return ['', ...PREFIXES.filter((p) => keys.length > 0 && keys.every((k) => k.startsWith(p)))];
}

/**
 * The prefix alignment that makes the most keys match: a prefix carried by every key of a side
 * (`module.` from DataParallel/DDP, `_orig_mod.` from torch.compile, `model.`/`state_dict.` from a
 * checkpoint dict that wraps the state dict). Null when the keys match best as they are.
 */
export function detectPrefix(aKeys: readonly string[], bKeys: readonly string[]): PrefixAlignment | null {
  let best: PrefixAlignment | null = null;
  let bestScore = overlap(aKeys, new Set(bKeys));
  let bestLength = 0;
  for (const pa of candidates(aKeys)) {
    for (const pb of candidates(bKeys)) {
      if (pa === pb) continue;
      const score = overlap(aKeys.map((k) => k.slice(pa.length)), new Set(bKeys.map((k) => k.slice(pb.length))));
      // on a tie, the alignment that removes more (`module.` too, as consume_prefix_in_state_dict_if_present)
      if (score > 0 && (score > bestScore || (score === bestScore && best !== null && pa.length + pb.length > bestLength))) {
        bestScore = score;
        bestLength = pa.length + pb.length;
        best = { a: pa, b: pb };
      }
    }
  }
  return best;
}

const torchSize = (s: readonly number[]): string => `torch.Size([${s.join(', ')}])`;

export function matchStateDicts<T extends KeyedTensor>(a: readonly T[], b: readonly T[]): StateDictMatch<T> {
  const alignment = detectPrefix(a.map((t) => t.name), b.map((t) => t.name));
  const keyOf = (side: 'a' | 'b', name: string): string => (alignment ? name.slice(alignment[side].length) : name);
  const aMap = new Map(a.map((t) => [keyOf('a', t.name), t]));
  const bMap = new Map(b.map((t) => [keyOf('b', t.name), t]));
  const res: StateDictMatch<T> = { missing: [], unexpected: [], shapeMismatch: [], dtypeMismatch: [], matched: [], alignment };
  for (const [key, ta] of aMap) {
    const tb = bMap.get(key);
    if (!tb) { res.missing.push(key); continue; }
    if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
      res.shapeMismatch.push({
        key, aShape: [...ta.shape], bShape: [...tb.shape],
        message: `size mismatch for ${key}: copying a param with shape ${torchSize(tb.shape)} from checkpoint, the shape in current model is ${torchSize(ta.shape)}.`,
      });
      continue;
    }
    if (ta.dtype !== tb.dtype) res.dtypeMismatch.push({ key, aDtype: ta.dtype, bDtype: tb.dtype });
    res.matched.push({ key, a: ta, b: tb });
  }
  for (const key of bMap.keys()) if (!aMap.has(key)) res.unexpected.push(key);
  return res;
}
