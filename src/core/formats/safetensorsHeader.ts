/**
 * The safetensors JSON header, read entry by entry:
 * `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …, "__metadata__": {..}}`.
 *
 *   readSafetensorsHeader(read, length, dataSize, visit)   each valid entry to `visit`, in file order; returns the metadata
 *
 * Not `JSON.parse`: a header of a million tensors (77 MB) would become a million objects and two million
 * arrays at once, several hundred MiB, before the first tensor is made. Here each entry is read straight
 * from the bytes, a window of the header at a time, and handed on; equal shapes share one array (frozen:
 * readers never write to a shape).
 * The grammar is JSON's; anything else is refused with the byte where it went wrong.
 */
import type { DTypeName } from '../dtype';
import { dtypeInfo } from '../dtype';
import { UnreadableError } from '../model';
import { numelOf } from '../layout';

export const SAFETENSORS_DTYPES: Readonly<Record<string, DTypeName>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
  F8_E4M3: 'float8_e4m3fn', F8_E5M2: 'float8_e5m2', F8_E8M0: 'float8_e8m0fnu',
  F8_E4M3FNUZ: 'float8_e4m3fnuz', F8_E5M2FNUZ: 'float8_e5m2fnuz',
  C64: 'complex64', C128: 'complex128', F4: 'float4_e2m1fn_x2',
};

export interface SafetensorsEntry {
  name: string;
  dtype: DTypeName;
  /** the file's own dtype code (`F32`, …) */
  code: string;
  /** shared between entries of equal shape and frozen */
  shape: readonly number[];
  begin: number;
  end: number;
}

const fail = (what: string): never => { throw new UnreadableError(what, 'safetensors'); };

/** Thrown when a token runs past the bytes read so far and more of the header is still to be read. */
const NEED_MORE = Symbol('need more header bytes');

/**
 * A cursor over a window of the header's bytes with JSON's lexical rules. `base` is the header offset
 * of the window's first byte; `partial` says the header goes on past the window.
 */
class Cursor {
  pos = 0;
  buf: Buffer = Buffer.alloc(0);
  base = 0;
  partial = false;

  /** the window ends here but the header does not: the caller reads more and parses the item again */
  private cut(p: number): boolean {
    return p >= this.buf.length && this.partial;
  }

  syntax(expected: string): never {
    if (this.cut(this.pos)) throw NEED_MORE;
    const at = this.pos < this.buf.length ? `'${String.fromCharCode(this.buf[this.pos])}'` : 'the end';
    return fail(`header is not valid JSON (expected ${expected}, found ${at} at byte ${this.base + this.pos})`);
  }

  ws(): number {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length && (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09)) p++;
    this.pos = p;
    return p < b.length ? b[p] : -1;
  }

  expect(ch: number, what: string): void {
    if (this.ws() !== ch) this.syntax(what);
    this.pos++;
  }

  /** `,` before another item (true) or the closing bracket (false) */
  more(close: number): boolean {
    const c = this.ws();
    if (c === 0x2c) { this.pos++; return true; }
    if (c === close) { this.pos++; return false; }
    return this.syntax(`',' or '${String.fromCharCode(close)}'`);
  }

  string(): string {
    if (this.ws() !== 0x22) this.syntax('a string');
    const b = this.buf;
    const start = this.pos + 1;
    let p = start;
    let escaped = false;
    while (p < b.length && b[p] !== 0x22) {
      if (b[p] === 0x5c) { escaped = true; p += 2; continue; }
      if (b[p] < 0x20) { this.pos = p; this.syntax('no control character in a string'); }
      p++;
    }
    if (p >= b.length) { this.pos = b.length; this.syntax('the end of a string'); }
    this.pos = p + 1;
    if (!escaped) return b.toString('utf8', start, p);
    try {
      return JSON.parse(b.toString('utf8', start - 1, p + 1)) as string;
    } catch {
      this.pos = start;
      return this.syntax('a valid escape in a string');
    }
  }

  /** the bytes of any JSON value, skipped without building it; returns its extent */
  skip(): [number, number] {
    const start = this.ws();
    const from = this.pos;
    if (start === 0x22) { this.string(); return [from, this.pos]; }
    if (start === 0x7b || start === 0x5b) {
      // brackets counted, strings skipped: depth is a number, not recursion
      const b = this.buf;
      let depth = 0;
      let p = this.pos;
      while (p < b.length) {
        const c = b[p];
        if (c === 0x22) { this.pos = p; this.string(); p = this.pos; continue; }
        if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) { depth--; if (depth === 0) { this.pos = p + 1; return [from, this.pos]; } }
        p++;
      }
      this.pos = b.length;
      return this.syntax('the end of a value');
    }
    const b = this.buf;
    let p = this.pos;
    while (p < b.length && /[-+.0-9eEa-z]/.test(String.fromCharCode(b[p]))) p++;
    if (this.cut(p)) throw NEED_MORE;
    if (p === this.pos) this.syntax('a value');
    this.pos = p;
    return [from, p];
  }

  /** a JSON value parsed by JSON.parse (small values: metadata, a value of the wrong type for a message) */
  value(): unknown {
    const [s, e] = this.skip();
    try {
      return JSON.parse(this.buf.toString('utf8', s, e));
    } catch (err) {
      this.pos = s;
      return fail(`header is not valid JSON (${(err as Error).message.split('\n')[0]} at byte ${this.base + s})`);
    }
  }

  /** an array of JSON numbers, or undefined (cursor unmoved) when the value is something else */
  numbers(): number[] | undefined {
    if (this.ws() !== 0x5b) return undefined;
    const b = this.buf;
    const save = this.pos;
    this.pos++;
    const out: number[] = [];
    if (this.ws() === 0x5d) { this.pos++; return out; }
    for (;;) {
      this.ws();
      let p = this.pos;
      const s = p;
      while (p < b.length && ((b[p] >= 0x30 && b[p] <= 0x39) || b[p] === 0x2d || b[p] === 0x2b || b[p] === 0x2e || b[p] === 0x65 || b[p] === 0x45)) p++;
      if (this.cut(p)) throw NEED_MORE;
      if (p === s) { this.pos = save; return undefined; }
      const v = Number(b.toString('latin1', s, p));
      if (Number.isNaN(v)) { this.pos = s; this.syntax('a number'); }
      // a small integer as an integer: kept in objects without a boxed number each
      out.push(Number.isInteger(v) && v >= 0 && v <= 0x3fffffff ? v | 0 : v);
      this.pos = p;
      if (!this.more(0x5d)) return out;
    }
  }
}

const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;

/** Bytes of the header read at once: a header is up to 100 MB, and held whole it would be held twice over. */
const WINDOW = 1 << 20;

/**
 * Read the `length`-byte header through `read(offset, length)` (offsets within the header) a window at a
 * time, handing each tensor entry to `visit` once it is checked (dtype known, shape and data_offsets
 * non-negative integers that agree, the bytes within the `dataSize`-byte data section). An item that runs
 * past the window is read again from its start with a larger window. A name given twice is the caller's
 * to refuse (it holds the names already).
 */
export async function readSafetensorsHeader(
  read: (offset: number, length: number) => Promise<Uint8Array>, length: number, dataSize: number, visit: (e: SafetensorsEntry) => void,
): Promise<Record<string, string>> {
  const c = new Cursor();
  let ahead = WINDOW;
  /** keep the window from `from` on and read until `ahead` bytes (or the rest of the header) are in it */
  const refill = async (from: number): Promise<void> => {
    const kept = c.buf.subarray(from);
    const start = c.base + c.buf.length;
    const want = Math.min(length - start, Math.max(WINDOW, ahead - kept.length));
    const fresh = want > 0 ? await read(start, want) : new Uint8Array(0);
    if (fresh.length < want) fail(`header of ${length} bytes ends early, at byte ${start + fresh.length}`);
    c.buf = kept.length ? Buffer.concat([kept, fresh]) : Buffer.from(fresh.buffer, fresh.byteOffset, fresh.byteLength);
    c.base += from;
    c.pos -= from;
    c.partial = c.base + c.buf.length < length;
  };
  /** one item parsed from its start, again with a window twice as large while it runs past the window */
  const item = async <T>(parse: () => T): Promise<T> => {
    for (;;) {
      const start = c.pos;
      if (c.partial && c.buf.length - start < ahead / 2) await refill(start);
      const from = c.pos;
      try {
        return parse();
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        c.pos = from;
        ahead *= 2;
        await refill(from);
      }
    }
  };
  await refill(0);
  const shapes = new Map<string, readonly number[]>();
  let metadata: Record<string, string> = {};
  const empty = await item(() => {
    c.expect(0x7b, "'{'");
    if (c.ws() !== 0x7d) return false;
    c.pos++;
    return true;
  });
  if (!empty) {
    let more = true;
    while (more) {
      more = await item(() => {
        const name = c.string();
        c.expect(0x3a, "':'");
        let raw: unknown;
        let entry: SafetensorsEntry | undefined;
        if (name === '__metadata__') raw = c.value();
        else entry = entryOf(c, name, dataSize, shapes);
        const next = c.more(0x7d);
        // handed on only once the whole item (and what follows it) is read: a re-read must not visit twice
        if (entry) visit(entry);
        else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
          metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
        }
        return next;
      });
    }
  }
  await item(() => {
    if (c.ws() !== -1) c.syntax('the end of the header');
    if (c.partial) throw NEED_MORE;
  });
  return metadata;
}

function entryOf(c: Cursor, name: string, dataSize: number, shapes: Map<string, readonly number[]>): SafetensorsEntry {
  if (c.ws() !== 0x7b) { c.value(); fail(`entry ${name} is not an object`); }
  c.pos++;
  let dtypeRaw: unknown;
  let shape: unknown;
  let offs: unknown;
  if (c.ws() === 0x7d) c.pos++;
  else {
    do {
      const key = c.string();
      c.expect(0x3a, "':'");
      if (key === 'dtype') dtypeRaw = c.ws() === 0x22 ? c.string() : c.value();
      else if (key === 'shape') shape = c.numbers() ?? c.value();
      else if (key === 'data_offsets') offs = c.numbers() ?? c.value();
      else c.skip();
    } while (c.more(0x7d));
  }
  const code = typeof dtypeRaw === 'string' ? dtypeRaw : '';
  const dtype = SAFETENSORS_DTYPES[code];
  if (!dtype) fail(`tensor ${name} has unknown dtype ${JSON.stringify(dtypeRaw)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor ${name} has an invalid shape`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) fail(`tensor ${name} has invalid data_offsets`);
  const dims = shape as number[];
  const [begin, end] = offs as number[];
  const expected = numelOf(dims) * dtypeInfo(dtype).itemSize;
  if (end < begin || end - begin !== expected) {
    fail(`tensor ${name}: data_offsets [${begin}, ${end}] do not match ${code}${JSON.stringify(dims)} (${expected} bytes)`);
  }
  if (end > dataSize) fail(`tensor ${name} ends at byte ${end} of a ${Math.max(0, dataSize)}-byte data section (truncated file)`);
  const key = dims.join(',');
  let shared = shapes.get(key);
  if (!shared) { shared = Object.freeze(dims); shapes.set(key, shared); }
  return { name, dtype, code, shape: shared, begin, end };
}
