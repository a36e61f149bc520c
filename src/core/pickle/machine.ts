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
 *     options.limits           maxOps, maxMemo, maxStringBytes, maxStack, maxLongBytes
 *   PickleResult = { value, end (offset just after STOP), globals: GlobalUse[] (with weights_only flag) }
 * Any malformed, truncated or hostile input ends in an UnreadableError (one line), never a hang,
 * a stack overflow or unbounded memory: work is bounded by the input length and the limits.
 */
import type { GlobalUse } from '../model';
import { UnreadableError } from '../model';
import {
  PyBytes, PyDict, PyGlobal, PyObject, PySet, PyTuple, isExtension, itemsOf, type PyValue,
} from './values';
import { isWeightsOnlySafe } from './allowlist';

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

const DEFAULT_LIMITS: PickleLimits = {
  maxOps: 200_000_000,
  maxMemo: 50_000_000,
  maxStringBytes: 2 ** 31 - 1,
  maxStack: 50_000_000,
  maxLongBytes: 1 << 16,
};

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

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

function parseIntText(text: string, what: string): number | bigint | boolean {
  const t = text.trim().replace(/L$/, '');
  if (what === 'INT' && (t === '00' || t === '01')) return t === '01';
  if (!/^[-+]?\d+$/.test(t)) throw new UnreadableError(`bad ${what} literal in pickle`);
  return normInt(BigInt(t));
}

/** Memo indices below this live in a dense array (pickles number them 0, 1, 2, …); others in a Map. */
const DENSE_MEMO = 1 << 24;

/**
 * Strings from a pickle: UTF-8 through Buffer's native decoder (replacement characters for invalid
 * bytes, as TextDecoder's non-fatal mode); a leading BOM goes through TextDecoder, which drops it.
 */
function utf8At(buf: Buffer, start: number, end: number): string {
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
    return decodeUtf8(buf.subarray(start, end), 'str');
  }
  return buf.toString('utf8', start, end);
}

/**
 * The memo indices a pickle ever reads (BINGET / LONG_BINGET), from one pass over its opcodes that builds
 * nothing. The machine then keeps only those memo values, so the many intermediate tuples a pickler
 * memoizes but never fetches again (a torch.save pickle reads 5 of its 35,000 memo entries) die young
 * instead of being kept to the end. Undefined (keep everything) for the text GET opcode of protocols
 * 0/1 and for anything this pass does not follow; the machine itself then reports what is wrong.
 */
function memoReads(data: Uint8Array, start: number): Set<number> | undefined {
  const reads = new Set<number>();
  const end = data.length;
  let pos = start;
  while (pos < end) {
    const op = data[pos++];
    switch (op) {
      case 0x2e: return reads; // STOP
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
        if (pos >= end) return undefined;
        reads.add(data[pos++]);
        break;
      case 0x6a: // LONG_BINGET
        if (pos + 4 > end) return undefined;
        reads.add((data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0);
        pos += 4;
        break;
      case 0x8a: case 0x55: case 0x8c: case 0x43: // LONG1 SHORT_BINSTRING SHORT_BINUNICODE SHORT_BINBYTES
        if (pos >= end) return undefined;
        pos += 1 + data[pos];
        break;
      case 0x8b: case 0x54: case 0x58: case 0x42: { // LONG4 BINSTRING BINUNICODE BINBYTES
        if (pos + 4 > end) return undefined;
        const n = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
        pos += 4 + n;
        break;
      }
      case 0x8d: case 0x8e: case 0x96: { // BINUNICODE8 BINBYTES8 BYTEARRAY8
        if (pos + 8 > end) return undefined;
        const lo = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
        const hi = (data[pos + 4] | (data[pos + 5] << 8) | (data[pos + 6] << 16) | (data[pos + 7] << 24)) >>> 0;
        pos += 8 + hi * 2 ** 32 + lo;
        break;
      }
      case 0x49: case 0x4c: case 0x46: case 0x53: case 0x56: case 0x70: case 0x50: { // one text line
        const nl = data.indexOf(0x0a, pos);
        if (nl < 0) return undefined;
        pos = nl + 1;
        break;
      }
      case 0x63: case 0x69: { // GLOBAL INST: two lines
        const nl = data.indexOf(0x0a, pos);
        const nl2 = nl < 0 ? -1 : data.indexOf(0x0a, nl + 1);
        if (nl2 < 0) return undefined;
        pos = nl2 + 1;
        break;
      }
      default: // GET (text index) and unknown opcodes
        return undefined;
    }
  }
  return undefined; // no STOP
}

export function unpickle(data: Uint8Array, options: UnpickleOptions = {}): PickleResult {
  const limits: PickleLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const maxOps = limits.maxOps;
  const maxMemo = limits.maxMemo;
  const maxStringBytes = limits.maxStringBytes;
  const maxStack = limits.maxStack;
  const reconstructors = options.reconstructors ?? {};
  const persistentLoad = options.persistentLoad;
  const py2Bytes = options.py2Strings === 'bytes';
  const label = options.label ?? 'pickle';
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.length;
  let pos = options.start ?? 0;
  let stack: StackItem[] = [];
  const metastack: StackItem[][] = [];
  let depth = 0;
  // the memo: a dense array for indices 0, 1, 2, … (an index is in the array iff it is below its length)
  // values of indices the pickle never reads are not kept (`undefined` holds their place; see memoReads)
  const memoArr: Array<PyValue | undefined> = [];
  const memoMap = new Map<number, PyValue | undefined>();
  let memoCount = 0;
  const reads = memoReads(data, pos);
  const globalCounts = new Map<string, number>();
  const globalCache = new Map<string, PyGlobal>();
  let ops = 0;

  const fail = (reason: string): never => {
    throw new UnreadableError(`${reason} (at byte ${pos})`, label);
  };
  const truncated = (): never => fail('pickle is truncated');
  const u64 = (): number => {
    if (pos + 8 > end) truncated();
    const lo = view.getUint32(pos, true); const hi = view.getUint32(pos + 4, true);
    pos += 8;
    if (hi >= 0x200000) fail('length too large');
    return hi * 2 ** 32 + lo;
  };
  const bytes = (n: number): Uint8Array => {
    if (n > maxStringBytes) fail(`string of ${n} bytes exceeds the limit`);
    if (n < 0 || pos + n > end) truncated();
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  /** UTF-8 text of the next `n` bytes */
  const text = (n: number): string => {
    if (n > maxStringBytes) fail(`string of ${n} bytes exceeds the limit`);
    if (n < 0 || pos + n > end) truncated();
    const s = utf8At(buf, pos, pos + n);
    pos += n;
    return s;
  };
  const line = (): string => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) fail('pickle is truncated (no newline)');
    const s = buf.toString('latin1', pos, nl);
    pos = nl + 1;
    return s;
  };
  const tooDeep = (): never => fail('pickle stack too deep');
  const pop = (): PyValue => {
    if (stack.length === 0) fail('pickle stack underflow');
    const v = stack.pop() as StackItem;
    if (v === MARK) fail('unexpected MARK');
    return v as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('pickle stack underflow');
    const v = stack[stack.length - 1];
    if (v === MARK) fail('unexpected MARK');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail('MARK missing');
    stack = prev as StackItem[];
    depth -= stack.length;
    for (let i = 0; i < items.length; i++) if (items[i] === MARK) fail('unexpected MARK');
    return items as PyValue[];
  };
  const memoPut = (idx: number, value: PyValue): void => {
    const v = reads === undefined || reads.has(idx) ? value : undefined;
    if (idx < memoArr.length) { memoArr[idx] = v; return; }
    if (idx === memoArr.length && idx < DENSE_MEMO && !memoMap.has(idx)) {
      if (memoCount >= maxMemo) fail('pickle memo too large');
      memoCount++;
      memoArr.push(v);
      return;
    }
    if (!memoMap.has(idx)) {
      if (memoCount >= maxMemo) fail('pickle memo too large');
      memoCount++;
    }
    memoMap.set(idx, v);
  };
  const memoGet = (idx: number): PyValue => {
    const v = idx < memoArr.length ? memoArr[idx] : memoMap.get(idx);
    if (v === undefined) fail(`memo key ${idx} missing`);
    return v as PyValue;
  };
  const py2String = (b: Uint8Array): PyValue => (py2Bytes ? new PyBytes(b) : decodePy2(b));

  const useGlobal = (module: string, name: string): PyGlobal => {
    const key = `${module}\n${name}`;
    let g = globalCache.get(key);
    if (g === undefined) {
      g = new PyGlobal(module, name);
      globalCache.set(key, g);
    }
    const full = g.fullName;
    globalCounts.set(full, (globalCounts.get(full) ?? 0) + 1);
    return g;
  };

  const ctx: CallContext = {
    call: (fn, args, kwargs) => callGlobal(fn, args, 'reduce', kwargs),
  };

  function callGlobal(fn: PyValue, args: PyValue[], via: 'reduce' | 'newobj' | 'inst', kwargs?: PyDict): PyValue {
    if (fn instanceof PyGlobal) {
      const r = reconstructors[fn.fullName];
      if (r) {
        try {
          return r(args, ctx, kwargs);
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

  function build(obj: PyValue, state: PyValue): void {
    if (obj instanceof PyObject) {
      if (obj.state instanceof PyDict && state instanceof PyDict) {
        for (const [k, v] of state.entries()) obj.state.set(k, v);
      } else {
        obj.state = state;
      }
    } else if (obj instanceof PyDict) {
      obj.attrs = state;
    } else if (isExtension(obj)) {
      obj.setState?.(state);
    }
    // BUILD on anything else (a list, a number) is ignored, as nothing is executed
  }

  function setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2) fail('odd number of items for SETITEMS');
    let dict: PyDict | undefined;
    if (target instanceof PyDict) dict = target;
    else if (target instanceof PyObject) dict = target.dictItems ??= new PyDict();
    else fail('SETITEM on a non-dict');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).set(items[i], items[i + 1]);
  }

  function setItem(target: PyValue, k: PyValue, v: PyValue): void {
    if (target instanceof PyDict) target.set(k, v);
    else if (target instanceof PyObject) (target.dictItems ??= new PyDict()).set(k, v);
    else fail('SETITEM on a non-dict');
  }

  function appendItems(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) {
      for (let i = 0; i < items.length; i++) target.push(items[i]);
    } else if (target instanceof PyObject) {
      const l = target.listItems ??= [];
      for (let i = 0; i < items.length; i++) l.push(items[i]);
    } else if (target instanceof PySet) {
      for (let i = 0; i < items.length; i++) target.items.push(items[i]);
    } else {
      fail('APPEND on a non-list');
    }
  }

  function append(target: PyValue, v: PyValue): void {
    if (Array.isArray(target)) target.push(v);
    else if (target instanceof PyObject) (target.listItems ??= []).push(v);
    else if (target instanceof PySet) target.items.push(v);
    else fail('APPEND on a non-list');
  }

  /** the rarely used opcodes, kept out of the hot loop */
  function rare(op: number): void {
    switch (op) {
      case 0x80: { // PROTO
        if (pos >= end) truncated();
        const p = data[pos++];
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('pickle stack underflow');
        if (stack[stack.length - 1] === MARK) popMark(); else stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x49: stack.push(parseIntText(line(), 'INT')); break; // INT
      case 0x4c: stack.push(parseIntText(line(), 'LONG')); break; // LONG
      case 0x8a: { // LONG1
        if (pos >= end) truncated();
        const n = data[pos++];
        stack.push(intFromLE(bytes(n)));
        break;
      }
      case 0x8b: { // LONG4
        if (pos + 4 > end) truncated();
        const n = view.getInt32(pos, true); pos += 4;
        if (n < 0) fail('negative LONG4 length');
        if (n > limits.maxLongBytes) fail(`integer of ${n} bytes exceeds the limit`);
        stack.push(intFromLE(bytes(n)));
        break;
      }
      case 0x46: { // FLOAT
        const t = line().trim().toLowerCase();
        const v = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : Number(t);
        stack.push(Number.isNaN(v) && !/^-?nan$/.test(t) ? fail('bad FLOAT literal') : v);
        break;
      }
      case 0x53: { // STRING
        const raw = line().trim();
        const q = raw[0];
        if (raw.length < 2 || (q !== "'" && q !== '"') || raw[raw.length - 1] !== q) fail('bad STRING literal');
        stack.push(py2String(unescapePyString(raw.slice(1, -1))));
        break;
      }
      case 0x54: { // BINSTRING
        if (pos + 4 > end) truncated();
        const n = view.getInt32(pos, true); pos += 4;
        if (n < 0) fail('negative BINSTRING length');
        stack.push(py2String(bytes(n)));
        break;
      }
      case 0x55: { // SHORT_BINSTRING
        if (pos >= end) truncated();
        const n = data[pos++];
        stack.push(py2String(bytes(n)));
        break;
      }
      case 0x56: stack.push(rawUnicodeEscape(line())); break; // UNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x42: { // BINBYTES
        if (pos + 4 > end) truncated();
        const n = view.getUint32(pos, true); pos += 4;
        stack.push(new PyBytes(bytes(n)));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        if (pos >= end) truncated();
        const n = data[pos++];
        stack.push(new PyBytes(bytes(n)));
        break;
      }
      case 0x8e: stack.push(new PyBytes(bytes(u64()))); break; // BINBYTES8
      case 0x96: stack.push(new PyBytes(bytes(u64()), true)); break; // BYTEARRAY8
      case 0x97: fail('out-of-band buffers (NEXT_BUFFER) are not in the file'); break;
      case 0x98: break; // READONLY_BUFFER: no-op on our bytes
      case 0x6c: { const l = popMark(); stack.push(l); break; } // LIST
      case 0x64: { // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x8f: stack.push(new PySet([])); break; // EMPTY_SET
      case 0x91: { const f = new PySet(popMark(), true); stack.push(f); break; } // FROZENSET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) fail('ADDITEMS on a non-set');
        for (const it of items) (s as PySet).items.push(it);
        break;
      }
      case 0x70: memoPut(Number(parseIntText(line(), 'PUT')), top()); break; // PUT
      case 0x67: stack.push(memoGet(Number(parseIntText(line(), 'GET')))); break; // GET
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(useGlobal(module, name));
        break;
      }
      case 0x82: case 0x83: case 0x84: { // EXT1/2/4
        const n = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
        if (pos + n > end) truncated();
        const code = op === 0x82 ? data[pos] : op === 0x83 ? view.getUint16(pos, true) : view.getInt32(pos, true);
        pos += n;
        stack.push(useGlobal('copyreg._extension_registry', String(code)));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, itemsOf(args) ?? [args], 'newobj'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, itemsOf(args) ?? [args], 'newobj', kwargs instanceof PyDict ? kwargs : undefined));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const args = popMark();
        const made = callGlobal(useGlobal(module, name), args, 'inst');
        stack.push(made);
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        const made = callGlobal(items[0], items.slice(1), 'inst');
        stack.push(made);
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        stack.push(persistentLoad ? persistentLoad(pid) : new PyObject('persistent_id', [pid]));
        break;
      }
      default:
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  // NB: `stack.push(f())` evaluates `stack` before f(); popMark() replaces `stack`, so its result goes
  // through a local first.
  // The hot loop: the opcodes a torch.save pickle is made of, inline; everything else goes to `rare`.
  // Every push is checked against maxStack here (pushes in `rare` are at most one per opcode, so the
  // check at the top of the loop bounds them too).
  for (;;) {
    if (++ops > maxOps) fail('pickle exceeds the operation limit');
    if (pos >= end) fail('pickle is truncated (no STOP)');
    if (stack.length + depth >= maxStack) tooDeep();
    const op = data[pos++];
    switch (op) {
      case 0x2e: { // STOP
        const value = pop();
        const globals: GlobalUse[] = [...globalCounts].map(([name, count]) => ({ name, count, unsafe: !isWeightsOnlySafe(name) }));
        return { value, end: pos, globals };
      }
      case 0x28: // MARK
        if (metastack.length >= maxStack) fail('pickle nesting too deep');
        depth += stack.length;
        metastack.push(stack);
        stack = [];
        break;
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: // BININT1
        if (pos >= end) truncated();
        stack.push(data[pos++]);
        break;
      case 0x4d: // BININT2
        if (pos + 2 > end) truncated();
        stack.push(data[pos] | (data[pos + 1] << 8));
        pos += 2;
        break;
      case 0x4a: // BININT
        if (pos + 4 > end) truncated();
        stack.push(data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24));
        pos += 4;
        break;
      case 0x47: // BINFLOAT (big-endian)
        if (pos + 8 > end) truncated();
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x8c: { // SHORT_BINUNICODE
        if (pos >= end) truncated();
        const n = data[pos++];
        if (pos + n > end) truncated();
        stack.push(utf8At(buf, pos, pos + n));
        pos += n;
        break;
      }
      case 0x58: { // BINUNICODE
        if (pos + 4 > end) truncated();
        const n = view.getUint32(pos, true); pos += 4;
        stack.push(text(n));
        break;
      }
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x61: { const v = pop(); append(top(), v); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x71: // BINPUT
        if (pos >= end) truncated();
        memoPut(data[pos++], top());
        break;
      case 0x72: // LONG_BINPUT
        if (pos + 4 > end) truncated();
        memoPut(view.getUint32(pos, true), top());
        pos += 4;
        break;
      case 0x94: memoPut(memoCount, top()); break; // MEMOIZE
      case 0x68: // BINGET
        if (pos >= end) truncated();
        stack.push(memoGet(data[pos++]));
        break;
      case 0x6a: // LONG_BINGET
        if (pos + 4 > end) truncated();
        stack.push(memoGet(view.getUint32(pos, true)));
        pos += 4;
        break;
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(useGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        const list = itemsOf(args);
        stack.push(callGlobal(fn, list ?? [args], 'reduce'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        stack.push(persistentLoad ? persistentLoad(pid) : new PyObject('persistent_id', [pid]));
        break;
      }
      case 0x74: { const t = new PyTuple(popMark()); stack.push(t); break; } // TUPLE
      // Every other opcode, listed so that this switch stays dense enough for V8 to compile it to a jump
      // table (a sparse switch becomes a chain of comparisons, run for every opcode).
      case 0x80: case 0x95: case 0x30: case 0x31: case 0x32: case 0x49: case 0x4c: case 0x8a: case 0x8b:
      case 0x46: case 0x53: case 0x54: case 0x55: case 0x56: case 0x8d: case 0x42: case 0x43: case 0x8e:
      case 0x96: case 0x97: case 0x98: case 0x6c: case 0x64: case 0x8f: case 0x91: case 0x90: case 0x70:
      case 0x67: case 0x63: case 0x82: case 0x83: case 0x84: case 0x81: case 0x92: case 0x69: case 0x6f:
      case 0x50:
        rare(op);
        break;
      default:
        rare(op); // unknown opcodes: rare() reports them
    }
  }
}

/** Quick check that bytes look like a pickle: PROTO 2–5, or a protocol 0/1 opening opcode. */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length < 2) return false;
  if (head[0] === 0x80) return head[1] >= 2 && head[1] <= 5;
  return false;
}
