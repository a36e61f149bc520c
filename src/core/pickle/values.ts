/**
 * The values the safe pickle machine builds. Nothing here is ever executed: a global is a name, a
 * reduce of an unknown global is an inert `PyObject` that keeps the class name, its arguments and the
 * state BUILD gave it.
 *
 *   Python      → here
 *   None        → null
 *   bool        → boolean
 *   int         → number (bigint beyond 2^53)
 *   float       → number
 *   str         → string
 *   bytes       → PyBytes
 *   list        → PyValue[] (a plain array)
 *   tuple       → PyTuple
 *   dict        → PyDict (keeps insertion order; `className` for OrderedDict/defaultdict/…)
 *   set         → PySet
 *   a global    → PyGlobal (`module.name`)
 *   an object   → PyObject (placeholder) or whatever a registered reconstructor returned (PyExtension)
 */

export type PyValue =
  | null | boolean | number | bigint | string
  | PyBytes | PyValue[] | PyTuple | PyDict | PySet | PyGlobal | PyObject | PyExtension;

/** Values made by reconstructors outside this folder (tensors, storages, numpy arrays…). */
export interface PyExtension {
  readonly pyKind: 'extension';
  /** a short type label for messages and the content tree */
  readonly typeName: string;
  /** BUILD on this value; return false to have the state ignored */
  setState?(state: PyValue): void;
}

export class PyBytes {
  constructor(readonly data: Uint8Array, readonly mutable = false) {}
}

/**
 * Nesting, tracked while the tree is built so that the machine can refuse a tree nested deeper than its
 * limit before building it whole:
 * - `nest`: how many container levels a value holds (a leaf 0, `[]` 1, `[[1]]` 2). It rises whenever a
 *   child goes in: a tree built bottom-up, the way a pickler writes it (children first), is measured.
 * - `depth`: how far below a root a container went in (0 until it goes into another). A child put into
 *   a container that is itself inside others (a tree grown top-down through memo references) is measured
 *   by its parent's depth.
 * Both are lower bounds: a tree whose parts grew both ways after they were linked can nest deeper than
 * they say, so whoever walks the tree still bounds its own depth. Lists are plain arrays: their numbers
 * live in side tables, a list's nest only when above 1, its depth only once it is shared (see
 * markShared): a flat list of a million small lists costs no table entries.
 */
const listNest = new WeakMap<PyValue[], number>();
const listDepth = new WeakMap<PyValue[], number>();

/** the nest of a value: 0 for a leaf (numbers, strings, bytes, globals, tensors and other extensions) */
export function nestOf(v: PyValue | undefined): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (Array.isArray(v)) return listNest.get(v) ?? 1;
  const n = (v as { nest?: number }).nest;
  return n === undefined ? 0 : n;
}

/** the depth of a container (see nestOf); 0 for leaves and tuples */
export function depthOf(v: PyValue | undefined): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (Array.isArray(v)) return listDepth.get(v) ?? 0;
  return v instanceof PyDict || v instanceof PySet || v instanceof PyObject ? v.depth : 0;
}

/**
 * A list the memo keeps for a later read: it can take children after it went into a parent (the only
 * way a pickle reaches into a container it has already placed), so its depth is tracked from now on.
 */
export function markShared(v: PyValue): void {
  if (Array.isArray(v) && !listDepth.has(v)) listDepth.set(v, 0);
}

/**
 * A container went in `depth` levels below a root (no-op on leaves and tuples, which take no children
 * later, and on lists not shared through the memo, which cannot).
 */
export function deepen(v: PyValue, depth: number): void {
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    const had = listDepth.get(v);
    if (had !== undefined && depth > had) listDepth.set(v, depth);
  } else if (v instanceof PyDict || v instanceof PySet || v instanceof PyObject) {
    if (depth > v.depth) v.depth = depth;
  }
}

/** the nest of a container holding `items` */
export function nestAround(items: readonly PyValue[]): number {
  let n = 0;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'object' && v !== null) {
      const c = nestOf(v);
      if (c > n) n = c;
    }
  }
  return n + 1;
}

/** a container gained a child of nest `child` (no-op on leaves and tuples, which never change) */
export function raiseNest(container: PyValue, child: number): void {
  if (typeof container !== 'object' || container === null) return;
  if (Array.isArray(container)) {
    if (child + 1 > (listNest.get(container) ?? 1)) listNest.set(container, child + 1);
  } else if (container instanceof PyDict || container instanceof PySet || container instanceof PyObject) {
    if (child + 1 > container.nest) container.nest = child + 1;
  }
}

export class PyTuple {
  readonly nest: number;
  constructor(readonly items: PyValue[]) {
    this.nest = nestAround(items);
  }
}

export class PySet {
  nest: number;
  depth = 0;
  constructor(readonly items: PyValue[], readonly frozen = false) {
    this.nest = nestAround(items);
  }
}

export class PyGlobal {
  /** `module.name` */
  readonly fullName: string;
  constructor(readonly module: string, readonly name: string) {
    this.fullName = `${module}.${name}`;
  }
}

/**
 * Dict keys as Python compares them: strings by value; ints, floats and bools by numeric value
 * (`1 == 1.0 == True`); None; other numbers by their text (`n1.5`, as before: NaN keys coincide). Other keys (tuples, objects)
 * are never merged. Returns undefined for those.
 */
function numericKey(key: PyValue): number | string | undefined {
  switch (typeof key) {
    case 'number': return Number.isSafeInteger(key) ? key : `n${key}`;
    case 'bigint': return key >= -9007199254740991n && key <= 9007199254740991n ? Number(key) : `n${key}`;
    case 'boolean': return key ? 1 : 0;
    default: return undefined;
  }
}

/** dicts with fewer keys than this find them by a linear scan (no index Maps) */
const SMALL_DICT = 8;

export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  /** positions of string keys / numeric keys / None; made on first use */
  private strIndex: Map<string, number> | undefined = undefined;
  private numIndex: Map<number | string, number> | undefined = undefined;
  private noneAt = -1;
  /** attributes BUILD set on the dict object itself (`state_dict._metadata`) */
  attrs?: PyValue;
  /** see nestOf */
  nest = 1;
  depth = 0;

  /** `collections.OrderedDict`, `collections.defaultdict`, … ; undefined for a plain dict */
  constructor(readonly className?: string) {}

  get size(): number {
    return this.keys.length;
  }

  private indexOf(key: PyValue): number {
    if (this.strIndex === undefined) return this.scan(key); // small: no index yet (see set)
    if (typeof key === 'string') return this.strIndex?.get(key) ?? -1;
    if (key === null) return this.noneAt;
    const n = numericKey(key);
    return n === undefined ? -1 : this.numIndex?.get(n) ?? -1;
  }

  /** a small dict's key position by a linear scan: no index Maps for the many one-key dicts of a pickle */
  private scan(key: PyValue): number {
    const keys = this.keys;
    if (typeof key === 'string') {
      for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
      return -1;
    }
    if (key === null) return this.noneAt;
    const n = numericKey(key);
    if (n === undefined) return -1;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (typeof k !== 'string' && k !== null && numericKey(k) === n) return i;
    }
    return -1;
  }

  /** the index Maps, made when the dict outgrows a linear scan */
  private buildIndex(): void {
    const str = new Map<string, number>();
    const num = new Map<number | string, number>();
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (typeof k === 'string') str.set(k, i);
      else if (k !== null) {
        const n = numericKey(k);
        if (n !== undefined) num.set(n, i);
      }
    }
    this.strIndex = str;
    this.numIndex = num;
  }

  set(key: PyValue, value: PyValue): void {
    if (typeof value === 'object' && value !== null) {
      const n = nestOf(value) + 1;
      if (n > this.nest) this.nest = n;
    }
    if (typeof key === 'object' && key !== null) {
      const n = nestOf(key) + 1;
      if (n > this.nest) this.nest = n;
    }
    const at = this.keys.length;
    if (this.strIndex === undefined) {
      if (at < SMALL_DICT) {
        const old = this.scan(key);
        if (old >= 0) { this.values[old] = value; return; }
        if (key === null) this.noneAt = at;
        this.keys.push(key);
        this.values.push(value);
        return;
      }
      this.buildIndex();
    }
    if (typeof key === 'string') {
      const index = this.strIndex as Map<string, number>;
      const old = index.get(key);
      if (old !== undefined) { this.values[old] = value; return; }
      index.set(key, at);
    } else if (key === null) {
      if (this.noneAt >= 0) { this.values[this.noneAt] = value; return; }
      this.noneAt = at;
    } else {
      const n = numericKey(key);
      if (n !== undefined) {
        const index = this.numIndex as Map<number | string, number>;
        const old = index.get(n);
        if (old !== undefined) { this.values[old] = value; return; }
        index.set(n, at);
      }
    }
    this.keys.push(key);
    this.values.push(value);
  }

  get(key: string | number): PyValue | undefined {
    const at = this.indexOf(key);
    return at < 0 ? undefined : this.values[at];
  }

  has(key: string | number): boolean {
    return this.indexOf(key) >= 0;
  }

  *entries(): IterableIterator<[PyValue, PyValue]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i], this.values[i]];
  }
}

/** An object of a class we did not reconstruct: kept inert with everything the pickle said about it. */
export class PyObject {
  /** BUILD's argument (usually the instance `__dict__`, or a `(dict, slots)` tuple) */
  state: PyValue | undefined = undefined;
  /** APPEND/APPENDS onto the object (list subclasses) */
  listItems?: PyValue[];
  /** SETITEM(S) onto the object (dict subclasses) */
  dictItems?: PyDict;
  /** see nestOf */
  nest: number;
  depth = 0;

  constructor(
    readonly className: string,
    readonly args: PyValue[],
    /** how it was made: REDUCE of a callable, NEWOBJ of a class, INST/OBJ */
    readonly via: 'reduce' | 'newobj' | 'inst' = 'reduce',
    readonly kwargs?: PyDict,
  ) {
    this.nest = Math.max(nestAround(args), kwargs ? kwargs.nest + 1 : 1);
  }

  /** The attribute dict BUILD gave this object, merged with slot state; undefined when none. */
  attributes(): PyDict | undefined {
    const s = this.state;
    if (s instanceof PyDict) return s;
    if (s instanceof PyTuple && s.items.length === 2) {
      const [d, slots] = s.items;
      if (d instanceof PyDict && !(slots instanceof PyDict)) return d;
      const merged = new PyDict();
      if (d instanceof PyDict) for (const [k, v] of d.entries()) merged.set(k, v);
      if (slots instanceof PyDict) for (const [k, v] of slots.entries()) merged.set(k, v);
      return merged;
    }
    return undefined;
  }
}

export function isExtension(v: unknown): v is PyExtension {
  return typeof v === 'object' && v !== null && (v as { pyKind?: unknown }).pyKind === 'extension';
}

export function isTupleOrList(v: PyValue | undefined): v is PyTuple | PyValue[] {
  return Array.isArray(v) || v instanceof PyTuple;
}

export function itemsOf(v: PyValue | undefined): PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  return undefined;
}

/** A JS number from an int-like value (bigint/bool included); undefined otherwise. */
export function toNumber(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Short Python-like rendering for keys and messages. */
export function pyRepr(v: PyValue | undefined, depth = 0): string {
  if (v === undefined) return '?';
  if (v === null) return 'None';
  if (typeof v === 'string') return depth === 0 ? v : `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (depth > 3) return '…';
  if (v instanceof PyTuple) return `(${v.items.map((x) => pyRepr(x, depth + 1)).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x, depth + 1)).join(', ')}]`;
  if (v instanceof PyBytes) return `<${v.data.length} bytes>`;
  if (v instanceof PyGlobal) return v.fullName;
  if (v instanceof PyObject) return `<${v.className}>`;
  if (v instanceof PyDict) return `<dict of ${v.size}>`;
  if (v instanceof PySet) return `<set of ${v.items.length}>`;
  return `<${v.typeName}>`;
}
