/**
 * Run-time checks that are also the static types: a message is declared once, as a schema, and both its TypeScript
 * type (`Infer<S>`) and its check at the border (webview ↔ host) come from that one declaration. No `any` crosses:
 * `parse` returns the narrowed value (with undeclared keys dropped) or says where it is wrong.
 */

export interface Schema<T> {
  /** the value as T, or throws a SchemaError naming the path */
  check(x: unknown, path: string): T;
  /** an object key that may be absent */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

export class SchemaError extends Error {}

function fail(path: string, want: string): never {
  throw new SchemaError(`${path || 'message'}: expected ${want}`);
}

export function parse<T>(schema: Schema<T>, x: unknown): { ok: true; value: T } | { ok: false; error: string } {
  try {
    return { ok: true, value: schema.check(x, '') };
  } catch (e) {
    if (e instanceof SchemaError) return { ok: false, error: e.message };
    throw e;
  }
}

export const str = (max = 10_000): Schema<string> => ({
  check: (x, p) => (typeof x === 'string' && x.length <= max ? x : fail(p, `a string of at most ${max} characters`)),
});

/** a number (not NaN) of at least `min` */
export const num = (min = -Infinity): Schema<number> => ({
  check: (x, p) => (typeof x === 'number' && x >= min ? x : fail(p, min === -Infinity ? 'a number' : `a number ≥ ${min}`)),
});

/** a whole number in [0, max] */
export const nat = (max = Number.MAX_SAFE_INTEGER): Schema<number> => ({
  check: (x, p) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max ? x : fail(p, `a whole number in [0, ${max}]`)),
});

export const bool = (): Schema<boolean> => ({ check: (x, p) => (typeof x === 'boolean' ? x : fail(p, 'true or false')) });

export function oneOf<const V extends readonly (string | number | boolean | null)[]>(...values: V): Schema<V[number]> {
  return { check: (x, p) => (values.includes(x as V[number]) ? (x as V[number]) : fail(p, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`)) };
}

/** a value a type guard accepts (`isColumnId`) */
export function guard<T>(test: (x: unknown) => x is T, want: string): Schema<T> {
  return { check: (x, p) => (test(x) ? x : fail(p, want)) };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return { check: (x, p) => (x === null ? null : s.check(x, p)) };
}

/** an object key that may be left out (`undefined` counts as left out) */
export function opt<T>(s: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return { optional: true, check: (x, p) => (x === undefined ? undefined : s.check(x, p)) };
}

export function arr<T>(item: Schema<T>, maxLength = 1_000_000): Schema<T[]> {
  return {
    check: (x, p) => {
      if (!Array.isArray(x) || x.length > maxLength) fail(p, `an array of at most ${maxLength} items`);
      return x.map((v, i) => item.check(v, `${p}[${i}]`));
    },
  };
}

export type Shape = Record<string, Schema<unknown>>;
type Optional<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};
export type InferShape<S extends Shape> = Flat<
  { -readonly [K in Exclude<keyof S, Optional<S>>]: Infer<S[K]> } & { -readonly [K in Optional<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** an object with these keys (others are dropped) */
export function obj<S extends Shape>(shape: S): Schema<InferShape<S>> {
  const keys = Object.keys(shape);
  return {
    check: (x, p) => {
      if (!isPlainObject(x)) fail(p, 'an object');
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = shape[k].check(x[k], p ? `${p}.${k}` : k);
        if (v !== undefined) out[k] = v;
      }
      return out as InferShape<S>;
    },
  };
}

/**
 * A value the host made from its own model (pages of rows, details, a graph, a diff report): checked to be an
 * object (or an array), its fields trusted. The webview still builds its page from text nodes only, so a wrong
 * field cannot become markup; deep checks here would cost more than the data they guard.
 */
export function hostData<T extends object>(what: 'object' | 'array' = 'object'): Schema<T> {
  return { check: (x, p) => ((what === 'array' ? Array.isArray(x) : isPlainObject(x)) ? (x as T) : fail(p, `an ${what}`)) };
}

/** any JSON value from the host (the checkpoint's content tree) */
export function hostJson<T>(): Schema<T> {
  return { check: (x, p) => (x !== undefined && typeof x !== 'function' ? (x as T) : fail(p, 'a JSON value')) };
}
