/**
 * `--param k=v` values in torch's spelling: `size=7,9`, `dims=2,0,3,1`, `align_corners=true`,
 * `scale_factor=2`, `dtype=float16`, `eps=1e-5`, `dim=None`. Kept as strings; ops read them typed.
 */
export class Params {
  private readonly map = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(entries: Iterable<[string, string]> = []) {
    for (const [k, v] of entries) this.map.set(k, v);
  }

  /** From `k=v` strings (repeatable) or a record. */
  static parse(items: readonly string[] | Record<string, string | number | boolean | number[]>): Params {
    if (Array.isArray(items)) {
      const entries: [string, string][] = [];
      for (const it of items as readonly string[]) {
        const eq = it.indexOf('=');
        if (eq <= 0) throw new Error(`--param expects key=value, got '${it}'`);
        entries.push([it.slice(0, eq).trim(), it.slice(eq + 1).trim()]);
      }
      return new Params(entries);
    }
    return new Params(Object.entries(items as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
  }

  has(k: string): boolean {
    const v = this.map.get(k);
    return v !== undefined && v !== '' && v.toLowerCase() !== 'none';
  }

  private raw(k: string): string | undefined {
    this.used.add(k);
    return this.has(k) ? (this.map.get(k) as string).replace(/^[[(]|[\])]$/g, '') : undefined;
  }

  str(k: string, def?: string): string | undefined {
    return this.raw(k) ?? def;
  }

  num(k: string, def?: number): number | undefined {
    const v = this.raw(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`parameter ${k} must be a number, got '${v}'`);
    return n;
  }

  int(k: string, def?: number): number | undefined {
    const n = this.num(k, def);
    if (n !== undefined && !Number.isInteger(n)) throw new Error(`parameter ${k} must be an integer, got ${n}`);
    return n;
  }

  nums(k: string): number[] | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return parts.map((s) => {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new Error(`parameter ${k} must be numbers separated by commas, got '${v}'`);
      return n;
    });
  }

  ints(k: string): number[] | undefined {
    const v = this.nums(k);
    if (v && v.some((n) => !Number.isInteger(n))) throw new Error(`parameter ${k} must be integers, got ${v.join(',')}`);
    return v;
  }

  bool(k: string, def: boolean): boolean {
    const v = this.raw(k);
    if (v === undefined) return def;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`parameter ${k} must be true or false, got '${v}'`);
  }

  /** Names given but never read by the op: reported as errors so typos don't pass silently. */
  unused(): string[] {
    return [...this.map.keys()].filter((k) => !this.used.has(k));
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries(this.map);
  }
}
