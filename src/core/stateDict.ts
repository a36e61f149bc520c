/**
 * Where the model's state dict is inside a checkpoint file, as a person loading it would find it:
 * `ckpt["state_dict"]` (Lightning), `ckpt["model"]`, `ckpt["model_state_dict"]`, `ckpt["net"]`, `ckpt["ema"]`, …,
 * a whole pickled `nn.Module` (its state dict), or the file itself when it is a bare state dict. Optimizer,
 * scheduler, callback and loop state are never part of it.
 *
 *   trainingSectionKind(segment)            'optimizer' | 'scheduler' | 'callbacks' | 'training' | null
 *   pickStateDict(tensors, content, key?)   the section chosen (or the one asked for), its tensors keyed
 *                                           relative to it, what was left out, and every other candidate
 *   wrapperChains(keys)                     the wrapper prefixes (`module.`, `_orig_mod.`, `model.`) all keys carry
 * Pure: works on tensor names and the content tree (`Checkpoint.content`), never on bytes.
 */
import type { JsonValue } from './model';

export type SectionKind = 'optimizer' | 'scheduler' | 'callbacks' | 'training';

const SECTION_KINDS: Array<[RegExp, SectionKind]> = [
  [/^(optimizer|optimizers|optimizer_states?|optim|optim_state|optimizer_state_dict|opt|opt_state)$/i, 'optimizer'],
  [/^(scheduler|schedulers|lr_scheduler|lr_schedulers|scheduler_state_dict|lr_scheduler_state_dict)$/i, 'scheduler'],
  [/^(callbacks)$/i, 'callbacks'],
  [/^(loops|scaler|grad_scaler|amp|rng_state|rng_states|random_state)$/i, 'training'],
];

/** What a top-level section of a training checkpoint holds when it is not model state. */
export function trainingSectionKind(segment: string): SectionKind | null {
  for (const [re, kind] of SECTION_KINDS) if (re.test(segment)) return kind;
  return null;
}

/** Keys that hold the model's state dict in training checkpoints, most specific first. */
export const STATE_DICT_KEYS = [
  'state_dict', 'model_state_dict', 'model_state', 'model', 'module', 'net', 'network',
  'ema', 'model_ema', 'state_dict_ema', 'ema_state_dict', 'params', 'weights',
] as const;

/**
 * Prefixes a wrapper adds to every key: DataParallel/DDP (`module.`), torch.compile (`_orig_mod.`),
 * a LightningModule holding its network as `self.model` (`model.`).
 */
export const WRAPPER_PREFIXES = ['module.', '_orig_mod.', 'model.'] as const;

export interface KeyedEntry<T> {
  /** the key as `load_state_dict` would see it (relative to the state dict's section) */
  key: string;
  tensor: T;
}

export interface StateDictSection {
  /** dotted key in the file ('' = the file's top level) */
  key: string;
  tensors: number;
}

export interface LeftOut {
  /** top-level key of the file */
  section: string;
  kind: SectionKind | 'other';
  tensors: number;
}

export interface StateDictPick<T> {
  /** dotted key of the state dict in the file ('' = the file's top level) */
  key: string;
  /** true when the caller named the key */
  requested: boolean;
  entries: KeyedEntry<T>[];
  leftOut: LeftOut[];
  /** every section that could hold a state dict (the top level first), for a picker */
  sections: StateDictSection[];
}

type JsonObject = { [key: string]: JsonValue };
const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTensorLeaf = (v: JsonValue | undefined): boolean => isObject(v) && typeof v.$tensor === 'string';

/** Top-level keys of a dict-shaped file whose values are containers (not a tensor, not a scalar). */
function topSections(content: JsonValue): string[] {
  // a pickled nn.Module at the top (`$class`) is one state dict, not a dict of sections
  if (!isObject(content) || typeof content.$class === 'string') return [];
  return Object.keys(content).filter((k) => k !== '$more' && typeof content[k] === 'object' && content[k] !== null && !isTensorLeaf(content[k]));
}

const under = (name: string, key: string): boolean => key === '' || name.startsWith(`${key}.`);

/**
 * The state dict of a checkpoint: `key` when given (an error when no tensor is under it), else the first of
 * STATE_DICT_KEYS the file holds tensors under, else the whole file less its training sections.
 */
export function pickStateDict<T extends { name: string }>(tensors: readonly T[], content: JsonValue, key?: string): StateDictPick<T> {
  const tops = topSections(content);
  const topOf = (name: string): string | null => {
    for (const t of tops) if (name.startsWith(`${t}.`)) return t;
    return null;
  };
  const counts = new Map<string, number>();
  for (const t of tensors) {
    const top = topOf(t.name);
    if (top !== null) counts.set(top, (counts.get(top) ?? 0) + 1);
  }
  const modelTops = tops.filter((t) => (counts.get(t) ?? 0) > 0 && trainingSectionKind(t) === null);
  const rootCount = tensors.filter((t) => { const top = topOf(t.name); return top === null || trainingSectionKind(top) === null; }).length;
  const sections: StateDictSection[] = [{ key: '', tensors: rootCount }, ...modelTops.map((k) => ({ key: k, tensors: counts.get(k) ?? 0 }))];

  let chosen: string;
  if (key !== undefined) {
    chosen = key.replace(/\.$/, '');
    if (chosen !== '' && !tensors.some((t) => under(t.name, chosen))) {
      throw new Error(`no tensors under '${chosen}' (state dicts in this file: ${sections.map((s) => s.key || '(top level)').join(', ')})`);
    }
  } else {
    chosen = STATE_DICT_KEYS.find((k) => modelTops.includes(k)) ?? '';
  }
  const entries: KeyedEntry<T>[] = [];
  for (const t of tensors) {
    if (chosen !== '') {
      if (under(t.name, chosen)) entries.push({ key: t.name.slice(chosen.length + 1), tensor: t });
      continue;
    }
    const top = topOf(t.name);
    if (top === null || trainingSectionKind(top) === null) entries.push({ key: t.name, tensor: t });
  }
  const kept = new Set<T>(entries.map((e) => e.tensor));
  const left = new Map<string, number>();
  for (const t of tensors) {
    if (kept.has(t)) continue;
    const section = topOf(t.name) ?? t.name.split('.')[0];
    left.set(section, (left.get(section) ?? 0) + 1);
  }
  const leftOut: LeftOut[] = [...left].map(([section, n]) => ({ section, kind: trainingSectionKind(section) ?? 'other', tensors: n }));
  return { key: chosen, requested: key !== undefined, entries, leftOut, sections };
}

/** Every chain of wrapper prefixes that all keys carry ('' first): `module.`, `model.module.`, `_orig_mod.module.`, … */
export function wrapperChains(keys: readonly string[]): string[] {
  const out = [''];
  if (keys.length === 0) return out;
  for (let i = 0; i < out.length && out.length < 16; i++) {
    for (const p of WRAPPER_PREFIXES) {
      const chain = out[i] + p;
      if (!out.includes(chain) && keys.every((k) => k.startsWith(chain))) out.push(chain);
    }
  }
  return out;
}

/** The key without any of `prefixes` at its start (repeatedly: `model.module.x` less `model.`,`module.` is `x`). */
export function stripPrefixes(key: string, prefixes: readonly string[]): string {
  let k = key;
  for (let changed = true; changed;) {
    changed = false;
    for (const p of prefixes) if (p && k.startsWith(p)) { k = k.slice(p.length); changed = true; }
  }
  return k;
}

const KIND_WORDS: Record<SectionKind, string> = { optimizer: 'optimizer state', scheduler: 'scheduler state', callbacks: 'callback state', training: 'training state' };

/** One side's choice in words: "state dict at `state_dict` (4 tensors), prefix `model.` removed; left out: optimizer state (4)". */
export function describeChoice(pick: Pick<StateDictPick<unknown>, 'key' | 'leftOut' | 'requested'> & { entries: readonly unknown[] }, removed: string): string {
  const n = pick.entries.length;
  let text = `${pick.key === '' ? 'state dict at the top level' : `state dict at \`${pick.key}\``} (${n} tensor${n === 1 ? '' : 's'}${pick.requested ? ', as asked' : ''}), ${removed ? `prefix \`${removed}\` removed` : 'no prefix removed'}`;
  if (pick.leftOut.length) {
    const byKind = new Map<string, number>();
    for (const l of pick.leftOut) {
      const label = l.kind === 'other' ? `\`${l.section}\`` : KIND_WORDS[l.kind];
      byKind.set(label, (byKind.get(label) ?? 0) + l.tensors);
    }
    text += `; left out: ${[...byKind].map(([label, count]) => `${label} (${count})`).join(', ')}`;
  }
  return text;
}
