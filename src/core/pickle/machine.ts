/**
 * A safe pickle machine: protocols 0–5 and Python 2 pickles, executing nothing. Every global resolves
 * either to a reconstructor we wrote (looked up by `module.name` in `options.reconstructors`) or to an
 * inert PyObject placeholder keeping its class name, arguments and state.
 *
 * Public API
 *   unpickle(data, options?): PickleResult
 *     data                 the bytes (a pickle starts at `options.start`, default 0)
 *     options.reconstructors   Record<'module.name', Reconstructor>; see ./builtins for the defaults
 *     options.persistentLoad   (pid) => value, for PERSID/BINPERSID (torch storages); default: a placeholder
 *     options.py2Strings       'str' (utf-8, latin-1 when not valid utf-8; default) or 'bytes'
 *     options.limits           maxOps, maxMemo, maxStringBytes, maxStack, maxLongBytes, maxNesting, maxObjects
 *   PickleResult = { value, end (offset just after STOP), globals: GlobalUse[] (with weights_only flag) }
 * Any malformed, truncated or hostile input ends in an UnreadableError (one line), never a hang,
 * a stack overflow or unbounded memory: work is bounded by the input length and the limits.
 */
import type { GlobalUse } from '../model';
import { UnreadableError } from '../model';
import {
  PyBytes, PyDict, PyGlobal, PyObject, PySet, PyTuple, deepen, depthOf, isExtension, itemsOf, markShared,
  nestAround, nestOf, raiseNest, type PyValue,
} from './values';
import { isWeightsOnlySafe } from './allowlist';
import { latin1Text, utf8Text } from '../bufferText';

export interface CallContext {
  /** call another global (a reconstructor's argument that is itself a callable) */
  call(fn: PyValue, args: PyValue[], kwargs?: PyDict): PyValue;
}

export type Reconstructor = (args: PyValue[], ctx: CallContext, kwargs?: PyDict) => PyValue;

export interface PickleLimits {
  /** opcodes executed */
  maxOps: number;
  /** memo entries */
  maxMemo: number;
  /** length of one string/bytes */
  maxStringBytes: number;
  /** stack depth (values + marks) */
  maxStack: number;
  /** bytes of one LONG1/LONG4 */
  maxLongBytes: number;
  /** container levels in the tree (see nestOf in ./values) */
  maxNesting: number;
  /** containers and objects made (tuples, lists, dicts, sets, REDUCE / NEWOBJ / INST / OBJ results) */
  maxObjects: number;
}

export interface UnpickleOptions {
  reconstructors?: Record<string, Reconstructor>;
  persistentLoad?: (pid: PyValue) => PyValue;
  py2Strings?: 'str' | 'bytes';
  start?: number;
  limits?: Partial<PickleLimits>;
  /** label for error messages (`data.pkl`) */
  label?: string;
}

export interface PickleResult {
  value: PyValue;
  end: number;
  globals: GlobalUse[];
}

/**
 * Generous for real files (a torch.save of a million tensors runs ~30 M opcodes and memoizes ~8 M values),
 * tight enough that no pickle can hold more than a few hundred MiB: memo values nobody reads are not
 * stored (see memoReads).
 *
 * The stack: Python's pickler (torch.save, Lightning and DDP checkpoints, numpy) batches list, dict and
 * set items by 1,000 (APPENDS / SETITEMS / ADDITEMS after a MARK), so its stack holds about one batch per
 * nesting level; only a tuple or frozenset is pushed whole (MARK … TUPLE). 500,000 values leave room for
 * a flat tuple of half a million items, while a stack of one-byte containers (`}`, `]`: the 2 M-deep
 * nested dict bomb) stops below ~100 MiB.
 *
 * Nesting: the pickler recurses once per level and stops at Python's recursion limit (1,000 by default),
 * so a tree nested 100,000 deep was written by hand or with a raised limit; it costs ~200 bytes a level.
 */
/**
 * Containers and objects a pickle of `bytes` bytes may make by default. A torch.save makes ~7 per tensor
 * (the tensor, its argument, size, stride and persistent-id tuples, its hooks' OrderedDict), one per 9–14
 * bytes of pickle (every torch 2.11 checkpoint of the shared corpus), so a million tensors make ~7 M. Each
 * costs 40–100 bytes here, and one byte of pickle can make one (`]`): one per 4 bytes (at least 1 M, at
 * most 8 M) keeps a file of empty lists to tens of bytes of memory per byte, and under 1 GiB whatever its size.
 */
export function objectLimit(bytes: number): number {
  return Math.min(DEFAULT_LIMITS.maxObjects, Math.max(1_000_000, Math.floor(bytes / 4)));
}

/** opcodes that make a container or an object, counted against maxObjects */
const MAKES = new Uint8Array(256);
// EMPTY_TUPLE TUPLE1 TUPLE2 TUPLE3 TUPLE EMPTY_LIST LIST EMPTY_DICT DICT EMPTY_SET FROZENSET REDUCE NEWOBJ NEWOBJ_EX INST OBJ
for (const op of [0x29, 0x85, 0x86, 0x87, 0x74, 0x5d, 0x6c, 0x7d, 0x64, 0x8f, 0x91, 0x52, 0x81, 0x92, 0x69, 0x6f]) MAKES[op] = 1;

export const DEFAULT_LIMITS: Readonly<PickleLimits> = {
  // at most; the default for a pickle is also bounded by its size (objectLimit)
  maxObjects: 8_000_000,
  maxOps: 200_000_000,
  maxMemo: 50_000_000,
  maxStringBytes: 2 ** 31 - 1,
  maxStack: 500_000,
  maxLongBytes: 1 << 16,
  maxNesting: 100_000,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Python pickles may hold lone surrogates (surrogatepass); keep going with replacement characters
    if (what) return new TextDecoder('utf-8').decode(bytes);
    throw new UnreadableError('invalid utf-8 in pickle');
  }
}

function decodePy2(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** Python 2 `repr()` string literal body (STRING opcode) → bytes. */
function unescapePyString(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c || i + 1 >= s.length) { out.push(c & 0xff); continue; }
    const n = s[++i];
    switch (n) {
      case 'n': out.push(10); break;
      case 'r': out.push(13); break;
      case 't': out.push(9); break;
      case '\\': out.push(0x5c); break;
      case "'": out.push(0x27); break;
      case '"': out.push(0x22); break;
      case 'a': out.push(7); break;
      case 'b': out.push(8); break;
      case 'f': out.push(12); break;
      case 'v': out.push(11); break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        let j = i; let v = 0;
        while (j < s.length && j < i + 3 && s[j] >= '0' && s[j] <= '7') { v = v * 8 + (s.charCodeAt(j) - 48); j++; }
        out.push(v & 0xff); i = j - 1; break;
      }
      case 'x': {
        const h = s.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(h)) { out.push(parseInt(h, 16)); i += 2; } else { out.push(0x5c, 0x78); }
        break;
      }
      default: out.push(0x5c, n.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** `raw-unicode-escape` (UNICODE opcode): `\uXXXX` and `\UXXXXXXXX` escapes, everything else latin-1. */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt(a ?? b ?? '0', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

function intFromLE(bytes: Uint8Array): number | bigint {
  const n = bytes.length;
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[i];
    if (bytes[n - 1] & 0x80) v -= 2 ** (8 * n);
    return v;
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, '0');
  let v = BigInt('0x' + hex);
  if (bytes[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return normInt(v);
}

function normInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Python refuses int ↔ text conversions above 4,300 digits (sys.int_info.default_max_str_digits), and
 * BigInt parsing is quadratic in the digits: 20 M digits would take minutes.
 */
const MAX_INT_DIGITS = 4300;

function parseIntText(text: string, what: string): number | bigint | boolean {
  const t = text.trim().replace(/L$/, '');
  if (t.length > MAX_INT_DIGITS + 1) throw new UnreadableError(`${what} literal of ${t.length} digits in pickle (Python refuses more than ${MAX_INT_DIGITS})`);
  if (what === 'INT' && (t === '00' || t === '01')) return t === '01';
  if (!/^[-+]?\d+$/.test(t)) throw new UnreadableError(`bad ${what} literal in pickle`);
  return normInt(BigInt(t));
}

/**
 * Memo indices below this live in a dense array (pickles number them 0, 1, 2, …); others in a Map, and
 * only when read (a 45 M-entry memo of values nobody reads costs nothing past the dense part).
 */
const DENSE_MEMO = 1 << 22;
/** memo indices the pre-scan tracks in a byte array; larger read indices go to a set (of bounded size) */
const READ_BITS = 1 << 26;
const MAX_BIG_READS = 1 << 20;
/** the memo limit when every value must be kept (text GET opcodes, which the pre-scan does not follow) */
const KEEP_ALL_MAX_MEMO = 10_000_000;

/**
 * Strings from a pickle: UTF-8 through Buffer's native decoder (replacement characters for invalid
 * bytes, as TextDecoder's non-fatal mode); a leading BOM goes through TextDecoder, which drops it.
 */
function utf8At(buf: Buffer, start: number, end: number): string {
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
    return decodeUtf8(buf.subarray(start, end), 'str');
  }
  return utf8Text(buf, start, end);
}

/**
 * The memo indices a pickle reads: a byte per index below `bits.length`, a set for any larger one
 * (only a hostile or very odd pickle reads those).
 */
interface MemoReads {
  bits: Uint8Array;
  big: Set<number>;
}

const u32At = (data: Uint8Array, pos: number): number =>
  (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;

/**
 * The memo indices a pickle ever reads (BINGET / LONG_BINGET), from one pass over its opcodes that builds
 * nothing. The machine then keeps only those memo values, so the many intermediate tuples a pickler
 * memoizes but never fetches again (a torch.save pickle reads 5 of its 35,000 memo entries) die young
 * instead of being kept to the end. Undefined (keep everything) for the text GET opcode of protocols
 * 0/1 and for anything this pass does not follow; the machine itself then reports what is wrong.
 */
function memoReads(data: Uint8Array, start: number): MemoReads | undefined {
  // no sane pickle memoizes more values than it has bytes
  const reads: MemoReads = { bits: new Uint8Array(Math.min(data.length, READ_BITS) + 1), big: new Set<number>() };
  return walkOpcodes(data, start, reads) >= 0 ? reads : undefined;
}

/**
 * Where a pickle starting at `start` ends: the offset just after its STOP, `NEEDS_MORE` when the bytes end
 * first, `UNKNOWN` at an opcode the walk does not follow (the caller then reads the whole entry).
 */
export function pickleEnd(data: Uint8Array, start = 0): number {
  return walkOpcodes(data, start, undefined);
}
export const NEEDS_MORE = -1;
export const UNKNOWN = -2;

/**
 * One pass over the opcodes, building nothing: the offset after STOP, or NEEDS_MORE / UNKNOWN. With
 * `reads`, the memo indices read are recorded, and text GETs (which it cannot record) count as UNKNOWN.
 */
function walkOpcodes(data: Uint8Array, start: number, reads: MemoReads | undefined): number {
  const end = data.length;
  const bits = reads ? reads.bits : new Uint8Array(0);
  const nbits = bits.length;
  const big = reads ? reads.big : new Set<number>();
  let pos = start;
  while (pos < end) {
    const op = data[pos++];
    switch (op) {
      case 0x2e: return pos; // STOP
      case 0x28: case 0x30: case 0x31: case 0x32: case 0x4e: case 0x88: case 0x89: case 0x29: case 0x85:
      case 0x86: case 0x87: case 0x74: case 0x5d: case 0x6c: case 0x7d: case 0x64: case 0x8f: case 0x91:
      case 0x90: case 0x61: case 0x65: case 0x73: case 0x75: case 0x94: case 0x93: case 0x52: case 0x81:
      case 0x92: case 0x6f: case 0x62: case 0x51: case 0x97: case 0x98:
        break; // no argument
      case 0x80: case 0x4b: case 0x71: case 0x82: pos += 1; break; // PROTO BININT1 BINPUT EXT1
      case 0x4d: case 0x83: pos += 2; break; // BININT2 EXT2
      case 0x4a: case 0x72: case 0x84: pos += 4; break; // BININT LONG_BINPUT EXT4
      case 0x47: case 0x95: pos += 8; break; // BINFLOAT FRAME
      case 0x68: // BINGET
        if (pos >= end) return NEEDS_MORE;
        if (reads) bits[data[pos]] = 1;
        pos++;
        break;
      case 0x6a: { // LONG_BINGET
        if (pos + 4 > end) return NEEDS_MORE;
        if (reads) {
          const idx = u32At(data, pos);
          if (idx < nbits) bits[idx] = 1;
          else if (big.add(idx).size > MAX_BIG_READS) return UNKNOWN;
        }
        pos += 4;
        break;
      }
      case 0x8a: case 0x55: case 0x8c: case 0x43: // LONG1 SHORT_BINSTRING SHORT_BINUNICODE SHORT_BINBYTES
        if (pos >= end) return NEEDS_MORE;
        pos += 1 + data[pos];
        break;
      case 0x8b: case 0x54: case 0x58: case 0x42: // LONG4 BINSTRING BINUNICODE BINBYTES
        if (pos + 4 > end) return NEEDS_MORE;
        pos += 4 + u32At(data, pos);
        break;
      case 0x8d: case 0x8e: case 0x96: { // BINUNICODE8 BINBYTES8 BYTEARRAY8
        if (pos + 8 > end) return NEEDS_MORE;
        pos += 8 + u32At(data, pos + 4) * 2 ** 32 + u32At(data, pos);
        break;
      }
      case 0x49: case 0x4c: case 0x46: case 0x53: case 0x56: case 0x70: case 0x50: case 0x67: { // one text line
        if (op === 0x67 && reads) return UNKNOWN; // GET of a text index: not recorded
        const nl = data.indexOf(0x0a, pos);
        if (nl < 0) return NEEDS_MORE;
        pos = nl + 1;
        break;
      }
      case 0x63: case 0x69: { // GLOBAL INST: two lines
        const nl = data.indexOf(0x0a, pos);
        const nl2 = nl < 0 ? -1 : data.indexOf(0x0a, nl + 1);
        if (nl2 < 0) return NEEDS_MORE;
        pos = nl2 + 1;
        break;
      }
      default: // unknown opcodes
        return UNKNOWN;
    }
  }
  return NEEDS_MORE; // no STOP yet
}

export function unpickle(data: Uint8Array, options: UnpickleOptions = {}): PickleResult {
  return new Machine(data, options).run();
}

/**
 * One run of the machine. The stack is flat: values in `st[0 … sp)`, and `marks` holds the stack
 * positions of the open MARKs (the newest is the fence nothing may be popped below), as in CPython.
 * The hot loop (`run`) keeps `pos`, `sp` and the fence in locals and writes them back to the fields
 * before calling an out-of-line method (`rare`, `fail`, …), which works on the fields.
 */
class Machine {
  private readonly limits: PickleLimits;
  private readonly reconstructors: Record<string, Reconstructor>;
  private readonly persistentLoad: ((pid: PyValue) => PyValue) | undefined;
  private readonly py2Bytes: boolean;
  private readonly label: string;
  private readonly buf: Buffer;
  private readonly view: DataView;
  private readonly end: number;
  pos: number;
  private readonly st: PyValue[] = [];
  sp = 0;
  private readonly marks: number[] = [];
  private mp = 0;
  // the memo: a dense array for indices 0, 1, 2, … (an index is in the array iff it is below its length);
  // values of indices the pickle never reads are not kept (`undefined` holds their place; see memoReads)
  private readonly memoArr: Array<PyValue | undefined> = [];
  private readonly memoMap = new Map<number, PyValue | undefined>();
  private memoCount = 0;
  private readonly reads: MemoReads | undefined;
  private readonly globalCounts = new Map<string, number>();
  private readonly globalCache = new Map<string, PyGlobal>();
  private readonly ctx: CallContext;

  constructor(private readonly data: Uint8Array, options: UnpickleOptions) {
    this.limits = { ...DEFAULT_LIMITS, maxObjects: objectLimit(data.length - (options.start ?? 0)), ...options.limits };
    this.reconstructors = options.reconstructors ?? {};
    this.persistentLoad = options.persistentLoad;
    this.py2Bytes = options.py2Strings === 'bytes';
    this.label = options.label ?? 'pickle';
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.end = data.length;
    this.pos = options.start ?? 0;
    this.reads = memoReads(data, this.pos);
    // without the pre-scan every memo value is kept: bound them tighter
    if (this.reads === undefined) this.limits.maxMemo = Math.min(this.limits.maxMemo, KEEP_ALL_MAX_MEMO);
    this.ctx = { call: (fn, args, kwargs) => this.callGlobal(fn, args, 'reduce', kwargs) };
  }

  private fail(reason: string): never {
    throw new UnreadableError(`${reason} (at byte ${this.pos})`, this.label);
  }

  private truncated(): never {
    return this.fail('pickle is truncated');
  }

  /** the newest MARK's position: values below it belong to an outer frame */
  private fence(): number {
    return this.mp > 0 ? this.marks[this.mp - 1] : 0;
  }

  private push(v: PyValue): void {
    this.st[this.sp++] = v;
  }

  private pop(): PyValue {
    if (this.sp <= this.fence()) this.underflow();
    return this.st[--this.sp];
  }

  private top(): PyValue {
    if (this.sp <= this.fence()) this.underflow();
    return this.st[this.sp - 1];
  }

  private stackTooDeep(): never {
    return this.fail(`pickle stack holds more than ${this.limits.maxStack.toLocaleString('en-US')} values and marks (a pickler keeps it shallow)`);
  }

  private tooNested(): never {
    return this.fail(`pickle nests containers more than ${this.limits.maxNesting.toLocaleString('en-US')} levels deep`);
  }

  /** `v`, after checking that it does not nest deeper than the limit */
  private nested<T extends PyValue>(v: T): T {
    if (nestOf(v) > this.limits.maxNesting) this.tooNested();
    return v;
  }

  /** `child` went into `target`: the path through that link, from the target's root down, is within the limit */
  private linked(target: PyValue, child: PyValue): void {
    if (typeof child !== 'object' || child === null) return;
    const n = nestOf(child);
    const d = depthOf(target) + 1;
    if (d + n > this.limits.maxNesting) this.tooNested();
    raiseNest(target, n);
    deepen(child, d);
  }

  private linkedAll(target: PyValue, items: readonly PyValue[]): void {
    for (let i = 0; i < items.length; i++) {
      const v = items[i];
      if (typeof v === 'object' && v !== null) this.linked(target, v);
    }
  }

  /** popping from an empty stack, or below the newest MARK */
  private underflow(): never {
    return this.fail('pickle stack underflow');
  }

  private pushMark(): void {
    if (this.mp >= this.limits.maxStack) this.stackTooDeep();
    this.marks[this.mp++] = this.sp;
  }

  /** the values above the newest MARK, which is removed */
  private popMark(): PyValue[] {
    if (this.mp === 0) this.fail('MARK missing');
    const m = this.marks[--this.mp];
    const items = this.st.slice(m, this.sp);
    this.sp = m;
    return items;
  }

  private u64(): number {
    if (this.pos + 8 > this.end) this.truncated();
    const lo = this.view.getUint32(this.pos, true); const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 0x200000) this.fail('length too large');
    return hi * 2 ** 32 + lo;
  }

  private bytes(n: number): Uint8Array {
    if (n > this.limits.maxStringBytes) this.fail(`string of ${n} bytes exceeds the limit`);
    if (n < 0 || this.pos + n > this.end) this.truncated();
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** UTF-8 text of the next `n` bytes */
  private text(n: number): string {
    if (n > this.limits.maxStringBytes) this.fail(`string of ${n} bytes exceeds the limit`);
    if (n < 0 || this.pos + n > this.end) this.truncated();
    const s = utf8At(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private line(): string {
    const nl = this.data.indexOf(0x0a, this.pos);
    if (nl < 0) this.fail('pickle is truncated (no newline)');
    const s = latin1Text(this.buf, this.pos, nl);
    this.pos = nl + 1;
    return s;
  }

  private memoPut(idx: number, value: PyValue): void {
    const r = this.reads;
    const keep = r === undefined || (idx < r.bits.length ? r.bits[idx] !== 0 : r.big.has(idx));
    const v = keep ? value : undefined;
    if (keep) markShared(value);
    const arr = this.memoArr;
    if (idx < arr.length) { arr[idx] = v; return; }
    if (idx === arr.length && idx < DENSE_MEMO && !this.memoMap.has(idx)) {
      if (this.memoCount >= this.limits.maxMemo) this.fail('pickle memo too large');
      this.memoCount++;
      arr.push(v);
      return;
    }
    if (!keep) {
      // never read: counted, not stored (a value put twice under one index is counted twice)
      if (this.memoCount >= this.limits.maxMemo) this.fail('pickle memo too large');
      this.memoCount++;
      this.memoMap.delete(idx);
      return;
    }
    if (!this.memoMap.has(idx)) {
      if (this.memoCount >= this.limits.maxMemo) this.fail('pickle memo too large');
      this.memoCount++;
    }
    this.memoMap.set(idx, v);
  }

  private memoGet(idx: number): PyValue {
    const v = idx < this.memoArr.length ? this.memoArr[idx] : this.memoMap.get(idx);
    if (v === undefined) this.fail(`memo key ${idx} missing`);
    return v as PyValue;
  }

  private py2String(b: Uint8Array): PyValue {
    return this.py2Bytes ? new PyBytes(b) : decodePy2(b);
  }

  private useGlobal(module: string, name: string): PyGlobal {
    const key = `${module}\n${name}`;
    let g = this.globalCache.get(key);
    if (g === undefined) {
      g = new PyGlobal(module, name);
      this.globalCache.set(key, g);
    }
    const full = g.fullName;
    this.globalCounts.set(full, (this.globalCounts.get(full) ?? 0) + 1);
    return g;
  }

  private callGlobal(fn: PyValue, args: PyValue[], via: 'reduce' | 'newobj' | 'inst', kwargs?: PyDict): PyValue {
    const made = this.call(fn, args, via, kwargs);
    // a reconstructor's plain list was not built here: its nest is counted now
    if (Array.isArray(made)) raiseNest(made, nestAround(made) - 1);
    return this.nested(made);
  }

  private call(fn: PyValue, args: PyValue[], via: 'reduce' | 'newobj' | 'inst', kwargs?: PyDict): PyValue {
    if (fn instanceof PyGlobal) {
      const r = this.reconstructors[fn.fullName];
      if (r) {
        try {
          return r(args, this.ctx, kwargs);
        } catch (err) {
          if (err instanceof UnreadableError) throw err;
          // a reconstructor that cannot make sense of its arguments leaves a placeholder
          return new PyObject(fn.fullName, args, via, kwargs);
        }
      }
      return new PyObject(fn.fullName, args, via, kwargs);
    }
    if (fn instanceof PyObject) return new PyObject(`${fn.className}()`, args, via, kwargs);
    const name = isExtension(fn) ? fn.typeName : typeof fn;
    return new PyObject(`<call of ${name}>`, args, via, kwargs);
  }

  private build(obj: PyValue, state: PyValue): void {
    if (obj instanceof PyObject) {
      if (obj.state instanceof PyDict && state instanceof PyDict) {
        for (const [k, v] of state.entries()) obj.state.set(k, v);
        this.linked(obj, obj.state);
      } else {
        obj.state = state;
        this.linked(obj, state);
      }
    } else if (obj instanceof PyDict) {
      obj.attrs = state;
      this.linked(obj, state);
    } else if (isExtension(obj)) {
      obj.setState?.(state);
    }
    // BUILD on anything else (a list, a number) is ignored, as nothing is executed
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2) this.fail('odd number of items for SETITEMS');
    let dict: PyDict | undefined;
    if (target instanceof PyDict) dict = target;
    else if (target instanceof PyObject) dict = target.dictItems ??= new PyDict();
    else this.fail('SETITEM on a non-dict');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).set(items[i], items[i + 1]);
    this.linkedAll(target, items);
  }

  private setItem(target: PyValue, k: PyValue, v: PyValue): void {
    if (target instanceof PyDict) target.set(k, v);
    else if (target instanceof PyObject) (target.dictItems ??= new PyDict()).set(k, v);
    else this.fail('SETITEM on a non-dict');
    this.linked(target, k);
    this.linked(target, v);
  }

  private appendItems(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) {
      for (let i = 0; i < items.length; i++) target.push(items[i]);
    } else if (target instanceof PyObject) {
      const l = target.listItems ??= [];
      for (let i = 0; i < items.length; i++) l.push(items[i]);
    } else if (target instanceof PySet) {
      for (let i = 0; i < items.length; i++) target.items.push(items[i]);
    } else {
      this.fail('APPEND on a non-list');
    }
    this.linkedAll(target, items);
  }

  private append(target: PyValue, v: PyValue): void {
    if (Array.isArray(target)) target.push(v);
    else if (target instanceof PyObject) (target.listItems ??= []).push(v);
    else if (target instanceof PySet) target.items.push(v);
    else this.fail('APPEND on a non-list');
    this.linked(target, v);
  }

  /** the end of the pickle: its value and the globals it used */
  private finish(): PickleResult {
    const value = this.pop();
    const globals: GlobalUse[] = [...this.globalCounts].map(([name, count]) => ({ name, count, unsafe: !isWeightsOnlySafe(name) }));
    return { value, end: this.pos, globals };
  }

  /** Every opcode the hot loop does not run inline (works on the fields; pushes at most one value). */
  private rare(op: number): void {
    const data = this.data;
    const end = this.end;
    switch (op) {
      case 0x80: { // PROTO
        if (this.pos >= end) this.truncated();
        const p = data[this.pos++];
        if (p > 5) this.fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME
        this.u64();
        break;
      case 0x30: // POP
        if (this.sp > this.fence()) this.sp--;
        else if (this.mp > 0) this.mp--; // the top of the stack is a MARK
        else this.fail('pickle stack underflow');
        break;
      case 0x31: // POP_MARK
        this.popMark();
        break;
      case 0x32: // DUP
        this.push(this.top());
        break;
      case 0x49: this.push(parseIntText(this.line(), 'INT')); break; // INT
      case 0x4c: this.push(parseIntText(this.line(), 'LONG')); break; // LONG
      case 0x8a: { // LONG1
        if (this.pos >= end) this.truncated();
        const n = data[this.pos++];
        this.push(intFromLE(this.bytes(n)));
        break;
      }
      case 0x8b: { // LONG4
        if (this.pos + 4 > end) this.truncated();
        const n = this.view.getInt32(this.pos, true); this.pos += 4;
        if (n < 0) this.fail('negative LONG4 length');
        if (n > this.limits.maxLongBytes) this.fail(`integer of ${n} bytes exceeds the limit`);
        this.push(intFromLE(this.bytes(n)));
        break;
      }
      case 0x46: { // FLOAT
        const t = this.line().trim().toLowerCase();
        const v = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : Number(t);
        this.push(Number.isNaN(v) && !/^-?nan$/.test(t) ? this.fail('bad FLOAT literal') : v);
        break;
      }
      case 0x53: { // STRING
        const raw = this.line().trim();
        const q = raw[0];
        if (raw.length < 2 || (q !== "'" && q !== '"') || raw[raw.length - 1] !== q) this.fail('bad STRING literal');
        this.push(this.py2String(unescapePyString(raw.slice(1, -1))));
        break;
      }
      case 0x54: { // BINSTRING
        if (this.pos + 4 > end) this.truncated();
        const n = this.view.getInt32(this.pos, true); this.pos += 4;
        if (n < 0) this.fail('negative BINSTRING length');
        this.push(this.py2String(this.bytes(n)));
        break;
      }
      case 0x55: { // SHORT_BINSTRING
        if (this.pos >= end) this.truncated();
        const n = data[this.pos++];
        this.push(this.py2String(this.bytes(n)));
        break;
      }
      case 0x56: this.push(rawUnicodeEscape(this.line())); break; // UNICODE
      case 0x58: { // BINUNICODE
        if (this.pos + 4 > end) this.truncated();
        const n = this.view.getUint32(this.pos, true); this.pos += 4;
        this.push(this.text(n));
        break;
      }
      case 0x8d: this.push(this.text(this.u64())); break; // BINUNICODE8
      case 0x42: { // BINBYTES
        if (this.pos + 4 > end) this.truncated();
        const n = this.view.getUint32(this.pos, true); this.pos += 4;
        this.push(new PyBytes(this.bytes(n)));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        if (this.pos >= end) this.truncated();
        const n = data[this.pos++];
        this.push(new PyBytes(this.bytes(n)));
        break;
      }
      case 0x8e: this.push(new PyBytes(this.bytes(this.u64()))); break; // BINBYTES8
      case 0x96: this.push(new PyBytes(this.bytes(this.u64()), true)); break; // BYTEARRAY8
      case 0x97: this.fail('out-of-band buffers (NEXT_BUFFER) are not in the file'); break;
      case 0x98: break; // READONLY_BUFFER: no-op on our bytes
      case 0x6c: { // LIST
        const l = this.popMark();
        raiseNest(l, nestAround(l) - 1);
        this.nested(l);
        this.push(l);
        break;
      }
      case 0x64: { // DICT
        const items = this.popMark();
        const d = new PyDict();
        this.setItems(d, items);
        this.push(d);
        break;
      }
      case 0x8f: this.push(new PySet([])); break; // EMPTY_SET
      case 0x91: this.push(this.nested(new PySet(this.popMark(), true))); break; // FROZENSET
      case 0x90: { // ADDITEMS
        const items = this.popMark();
        const s = this.top();
        if (!(s instanceof PySet)) this.fail('ADDITEMS on a non-set');
        this.linkedAll(s, items);
        for (const it of items) (s as PySet).items.push(it);
        break;
      }
      case 0x70: this.memoPut(Number(parseIntText(this.line(), 'PUT')), this.top()); break; // PUT
      case 0x67: this.push(this.memoGet(Number(parseIntText(this.line(), 'GET')))); break; // GET
      case 0x94: this.memoPut(this.memoCount, this.top()); break; // MEMOIZE
      case 0x6a: { // LONG_BINGET
        if (this.pos + 4 > end) this.truncated();
        const idx = this.view.getUint32(this.pos, true);
        this.pos += 4;
        this.push(this.memoGet(idx));
        break;
      }
      case 0x63: { // GLOBAL
        const module = this.line();
        const name = this.line();
        this.push(this.useGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
        this.push(this.useGlobal(module as string, name as string));
        break;
      }
      case 0x82: case 0x83: case 0x84: { // EXT1/2/4
        const n = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
        if (this.pos + n > end) this.truncated();
        const code = op === 0x82 ? data[this.pos] : op === 0x83 ? this.view.getUint16(this.pos, true) : this.view.getInt32(this.pos, true);
        this.pos += n;
        this.push(this.useGlobal('copyreg._extension_registry', String(code)));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = this.pop();
        const cls = this.pop();
        this.push(this.callGlobal(cls, itemsOf(args) ?? [args], 'newobj'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        this.push(this.callGlobal(cls, itemsOf(args) ?? [args], 'newobj', kwargs instanceof PyDict ? kwargs : undefined));
        break;
      }
      case 0x69: { // INST
        const module = this.line();
        const name = this.line();
        const args = this.popMark();
        this.push(this.callGlobal(this.useGlobal(module, name), args, 'inst'));
        break;
      }
      case 0x6f: { // OBJ
        const items = this.popMark();
        if (items.length === 0) this.fail('OBJ without a class');
        this.push(this.callGlobal(items[0], items.slice(1), 'inst'));
        break;
      }
      case 0x50: { // PERSID
        const pid = this.line();
        this.push(this.nested(this.persistentLoad ? this.persistentLoad(pid) : new PyObject('persistent_id', [pid])));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = this.pop();
        this.push(this.nested(this.persistentLoad ? this.persistentLoad(pid) : new PyObject('persistent_id', [pid])));
        break;
      }
      case 0x4e: this.push(null); break; // NONE
      case 0x88: this.push(true); break; // NEWTRUE
      case 0x5d: this.push([]); break; // EMPTY_LIST
      case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(this.nested(new PyTuple([a, b, c]))); break; } // TUPLE3
      case 0x47: // BINFLOAT (big-endian)
        if (this.pos + 8 > end) this.truncated();
        this.push(this.view.getFloat64(this.pos, false));
        this.pos += 8;
        break;
      case 0x61: { const v = this.pop(); this.append(this.top(), v); break; } // APPEND
      case 0x65: { const items = this.popMark(); this.appendItems(this.top(), items); break; } // APPENDS
      case 0x73: { const v = this.pop(); const k = this.pop(); this.setItem(this.top(), k, v); break; } // SETITEM
      case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); break; } // SETITEMS
      case 0x62: { const state = this.pop(); this.build(this.top(), state); break; } // BUILD
      default:
        this.fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  /**
   * The hot loop: the opcodes that make up most of a torch.save pickle run inline, on locals; every
   * other opcode goes to `rare` with the state written back to the fields first. Every push is checked
   * against maxStack at the top of the loop (an opcode pushes at most one value).
   */
  run(): PickleResult {
    const data = this.data;
    const end = this.end;
    const st = this.st;
    const marks = this.marks;
    const memoArr = this.memoArr;
    const maxOps = this.limits.maxOps;
    const maxStack = this.limits.maxStack;
    const maxMemo = this.limits.maxMemo;
    const maxStringBytes = this.limits.maxStringBytes;
    const maxNesting = this.limits.maxNesting;
    const reads = this.reads;
    const bits = reads ? reads.bits : undefined;
    const nbits = bits ? bits.length : 0;
    const buf = this.buf;
    let pos = this.pos;
    let sp = 0;
    let fence = 0; // the newest MARK's stack position (0 without one)
    const maxObjects = this.limits.maxObjects;
    let ops = 0;
    let made = 0;
    for (;;) {
      if (++ops > maxOps) { this.pos = pos; this.fail('pickle exceeds the operation limit'); }
      if (pos >= end) { this.pos = pos; this.fail('pickle is truncated (no STOP)'); }
      if (sp >= maxStack) { this.pos = pos; this.stackTooDeep(); }
      const op = data[pos++];
      if (MAKES[op] === 1 && ++made > maxObjects) {
        this.pos = pos - 1;
        this.fail(`pickle makes more than ${maxObjects.toLocaleString('en-US')} containers and objects (a checkpoint of a million tensors makes ~7 M)`);
      }
      switch (op) {
        case 0x28: // MARK
          if (this.mp >= maxStack) { this.pos = pos; this.stackTooDeep(); }
          marks[this.mp++] = sp;
          fence = sp;
          break;
        case 0x89: st[sp++] = false; break; // NEWFALSE
        case 0x4b: // BININT1
          if (pos >= end) { this.pos = pos; this.truncated(); }
          st[sp++] = data[pos++];
          break;
        case 0x4d: // BININT2
          if (pos + 2 > end) { this.pos = pos; this.truncated(); }
          st[sp++] = data[pos] | (data[pos + 1] << 8);
          pos += 2;
          break;
        case 0x4a: // BININT
          if (pos + 4 > end) { this.pos = pos; this.truncated(); }
          st[sp++] = data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24);
          pos += 4;
          break;
        case 0x8c: { // SHORT_BINUNICODE
          if (pos >= end) { this.pos = pos; this.truncated(); }
          const n = data[pos++];
          if (pos + n > end) { this.pos = pos; this.truncated(); }
          st[sp++] = utf8At(buf, pos, pos + n);
          pos += n;
          break;
        }
        case 0x58: { // BINUNICODE
          if (pos + 4 > end) { this.pos = pos; this.truncated(); }
          const n = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
          pos += 4;
          if (n > maxStringBytes) { this.pos = pos; this.fail(`string of ${n} bytes exceeds the limit`); }
          if (pos + n > end) { this.pos = pos; this.truncated(); }
          st[sp++] = utf8At(buf, pos, pos + n);
          pos += n;
          break;
        }
        case 0x29: st[sp++] = new PyTuple([]); break; // EMPTY_TUPLE
        case 0x85: // TUPLE1
          if (sp <= fence) { this.pos = pos; this.sp = sp; this.underflow(); }
          st[sp - 1] = new PyTuple([st[sp - 1]]);
          if ((st[sp - 1] as PyTuple).nest > maxNesting) { this.pos = pos; this.tooNested(); }
          break;
        case 0x86: { // TUPLE2
          if (sp - 1 <= fence) { this.pos = pos; this.sp = sp; this.underflow(); }
          const b = st[--sp];
          const t = new PyTuple([st[sp - 1], b]);
          if (t.nest > maxNesting) { this.pos = pos; this.tooNested(); }
          st[sp - 1] = t;
          break;
        }
        case 0x74: { // TUPLE
          if (this.mp === 0) { this.pos = pos; this.fail('MARK missing'); }
          const m = marks[--this.mp];
          const t = new PyTuple(st.slice(m, sp));
          if (t.nest > maxNesting) { this.pos = pos; this.tooNested(); }
          sp = m;
          st[sp++] = t;
          fence = this.mp > 0 ? marks[this.mp - 1] : 0;
          break;
        }
        case 0x7d: st[sp++] = new PyDict(); break; // EMPTY_DICT
        case 0x71: // BINPUT
        case 0x72: { // LONG_BINPUT
          let idx: number;
          if (op === 0x71) {
            if (pos >= end) { this.pos = pos; this.truncated(); }
            idx = data[pos++];
          } else {
            if (pos + 4 > end) { this.pos = pos; this.truncated(); }
            idx = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
            pos += 4;
          }
          if (sp <= fence) { this.pos = pos; this.sp = sp; this.underflow(); }
          // a value nobody reads again is not kept (see memoReads)
          const keep = bits === undefined || (idx < nbits ? bits[idx] !== 0 : (reads as MemoReads).big.has(idx));
          if (keep) markShared(st[sp - 1]);
          if (idx < memoArr.length) {
            memoArr[idx] = keep ? st[sp - 1] : undefined;
          } else if (idx === memoArr.length && idx < DENSE_MEMO && this.memoMap.size === 0 && this.memoCount < maxMemo) {
            this.memoCount++; // the next index, as picklers number them
            memoArr.push(keep ? st[sp - 1] : undefined);
          } else {
            this.pos = pos;
            this.sp = sp;
            this.memoPut(idx, st[sp - 1]);
          }
          break;
        }
        case 0x68: { // BINGET
          if (pos >= end) { this.pos = pos; this.truncated(); }
          const idx = data[pos++];
          let v = idx < memoArr.length ? memoArr[idx] : undefined;
          if (v === undefined) { this.pos = pos; v = this.memoGet(idx); } // in the Map, or missing
          st[sp++] = v;
          break;
        }
        case 0x52: { // REDUCE
          if (sp - 1 <= fence) { this.pos = pos; this.sp = sp; this.underflow(); }
          const args = st[--sp];
          const fn = st[sp - 1];
          this.pos = pos;
          this.sp = sp;
          st[sp - 1] = this.callGlobal(fn, args instanceof PyTuple ? args.items : Array.isArray(args) ? args : [args], 'reduce');
          break;
        }
        case 0x51: // BINPERSID
          if (sp <= fence) { this.pos = pos; this.sp = sp; this.underflow(); }
          this.pos = pos;
          this.sp = sp;
          st[sp - 1] = this.nested(this.persistentLoad ? this.persistentLoad(st[sp - 1]) : new PyObject('persistent_id', [st[sp - 1]]));
          break;
        case 0x2e: // STOP
          this.pos = pos;
          this.sp = sp;
          return this.finish();
        // Every other opcode runs out of line. They are listed so that this switch stays dense enough for
        // V8 to compile it to a jump table (a sparse switch becomes a chain of comparisons, run for every
        // opcode); unknown opcodes go the same way and `rare` reports them.
        case 0x30: case 0x31: case 0x32: case 0x42: case 0x43: case 0x46: case 0x47: case 0x49: case 0x4c:
        case 0x4e: case 0x50: case 0x53: case 0x54: case 0x55: case 0x56: case 0x5d: case 0x61: case 0x62:
        case 0x63: case 0x64: case 0x65: case 0x67: case 0x69: case 0x6a: case 0x6c: case 0x6f: case 0x70:
        case 0x73: case 0x75: case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x87: case 0x88:
        case 0x8a: case 0x8b: case 0x8d: case 0x8e: case 0x8f: case 0x90: case 0x91: case 0x92: case 0x93:
        case 0x94: case 0x95: case 0x96: case 0x97: case 0x98:
        default:
          this.pos = pos;
          this.sp = sp;
          this.rare(op);
          pos = this.pos;
          sp = this.sp;
          fence = this.mp > 0 ? marks[this.mp - 1] : 0;
      }
    }
  }
}
/** Quick check that bytes look like a pickle: PROTO 2–5, or a protocol 0/1 opening opcode. */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length < 2) return false;
  if (head[0] === 0x80) return head[1] >= 2 && head[1] <= 5;
  return false;
}
