/**
 * Key matching between two state dicts as `model.load_state_dict(sd)` sees it: `a` is the model's state dict
 * (what the model expects), `b` the one being loaded.
 *   missing     keys of a that b lacks          (torch's missing_keys)
 *   unexpected  keys of b that a lacks          (torch's unexpected_keys)
 *   shape       keys in both with other shapes  (torch's "size mismatch for K: copying a param with shape … from
 *               checkpoint, the shape in current model is …")
 *   dtype       keys in both with the same shape and other dtypes (torch copies with a cast; reported here)
 * Wrapper prefixes (`module.` of DataParallel/DDP, `_orig_mod.` of torch.compile, `model.` of a LightningModule)
 * are detected on either side and aligned first, as `torch.nn.modules.utils.consume_prefix_in_state_dict_if_present`
 * would; names are reported without them. Finding the state dict inside a training checkpoint is ./stateDict.ts.
 * Lists keep each side's key order (torch orders by module traversal, which a file does not record).
 */
import type { DTypeName } from './dtype';
import type { KeyedEntry } from './stateDict';
import { stripPrefixes, wrapperChains } from './stateDict';

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

function overlap(a: readonly string[], b: ReadonlySet<string>): number {
  let n = 0;
  for (const k of a) if (b.has(k)) n++;
  return n;
}

/**
 * The wrapper prefixes to remove so that the most keys match: a chain every key of a side carries
 * (`module.` from DataParallel/DDP, `_orig_mod.` from torch.compile, `model.` from a LightningModule's
 * `self.model`, or several: `model.module.`). Null when the keys match best as they are.
 */
export function detectPrefix(aKeys: readonly string[], bKeys: readonly string[]): PrefixAlignment | null {
  let best: PrefixAlignment | null = null;
  let bestScore = overlap(aKeys, new Set(bKeys));
  let bestLength = 0;
  for (const pa of wrapperChains(aKeys)) {
    for (const pb of wrapperChains(bKeys)) {
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

export interface StripOptions {
  /** prefixes to remove from a's keys instead of detecting them ([] = none) */
  a?: readonly string[];
  b?: readonly string[];
}

/** Match two state dicts given as tensors named by their keys (see matchEntries). */
export function matchStateDicts<T extends KeyedTensor>(a: readonly T[], b: readonly T[], strip: StripOptions = {}): StateDictMatch<T> {
  const entries = (list: readonly T[]) => list.map((t) => ({ key: t.name, tensor: t }));
  return matchEntries(entries(a), entries(b), strip);
}

/**
 * Match as `a_model.load_state_dict(b)` would, after removing the wrapper prefixes (detected, or as given in
 * `strip`). Keys are reported without the removed prefixes.
 */
export function matchEntries<T extends KeyedTensor>(a: readonly KeyedEntry<T>[], b: readonly KeyedEntry<T>[], strip: StripOptions = {}): StateDictMatch<T> {
  let alignment: PrefixAlignment | null;
  let keyOf: (side: 'a' | 'b', key: string) => string;
  if (strip.a || strip.b) {
    const sa = strip.a ?? [];
    const sb = strip.b ?? [];
    alignment = { a: sa.join(''), b: sb.join('') };
    keyOf = (side, key) => stripPrefixes(key, side === 'a' ? sa : sb);
  } else {
    alignment = detectPrefix(a.map((e) => e.key), b.map((e) => e.key));
    keyOf = (side, key) => (alignment ? key.slice(alignment[side].length) : key);
  }
  const aMap = new Map(a.map((e) => [keyOf('a', e.key), e.tensor]));
  const bMap = new Map(b.map((e) => [keyOf('b', e.key), e.tensor]));
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
