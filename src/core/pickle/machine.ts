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

export function unpickle(data: Uint8Array, options: UnpickleOptions = {}): PickleResult {
  const limits: PickleLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const reconstructors = options.reconstructors ?? {};
  const label = options.label ?? 'pickle';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.length;
  let pos = options.start ?? 0;
  let stack: StackItem[] = [];
  const metastack: StackItem[][] = [];
  let depth = 0;
  const memo = new Map<number, PyValue>();
  const globalCounts = new Map<string, number>();
  let ops = 0;

  const fail = (reason: string): never => {
    throw new UnreadableError(`${reason} (at byte ${pos})`, label);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > end) fail('pickle is truncated');
  };
  const u8 = (): number => { need(1); return data[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const lo = view.getUint32(pos, true); const hi = view.getUint32(pos + 4, true);
    pos += 8;
    if (hi >= 0x200000) fail('length too large');
    return hi * 2 ** 32 + lo;
  };
  const bytes = (n: number): Uint8Array => {
    if (n > limits.maxStringBytes) fail(`string of ${n} bytes exceeds the limit`);
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) fail('pickle is truncated (no newline)');
    const s = latin1.decode(data.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const push = (v: PyValue): void => {
    if (stack.length + depth >= limits.maxStack) fail('pickle stack too deep');
    stack.push(v);
  };
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
    for (const it of items) if (it === MARK) fail('unexpected MARK');
    return items as PyValue[];
  };
  const memoPut = (idx: number, v: PyValue): void => {
    if (!memo.has(idx) && memo.size >= limits.maxMemo) fail('pickle memo too large');
    memo.set(idx, v);
  };
  const memoGet = (idx: number): PyValue => {
    const v = memo.get(idx);
    if (v === undefined) fail(`memo key ${idx} missing`);
    return v as PyValue;
  };
  const py2String = (b: Uint8Array): PyValue =>
    options.py2Strings === 'bytes' ? new PyBytes(b) : decodePy2(b);

  const useGlobal = (module: string, name: string): PyGlobal => {
    const g = new PyGlobal(module, name);
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

  function appendItems(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) {
      for (const it of items) target.push(it);
    } else if (target instanceof PyObject) {
      const l = target.listItems ??= [];
      for (const it of items) l.push(it);
    } else if (target instanceof PySet) {
      for (const it of items) target.items.push(it);
    } else {
      fail('APPEND on a non-list');
    }
  }

  for (;;) {
    if (++ops > limits.maxOps) fail('pickle exceeds the operation limit');
    if (pos >= end) fail('pickle is truncated (no STOP)');
    const op = data[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: { // STOP
        const value = pop();
        const globals: GlobalUse[] = [...globalCounts].map(([name, count]) => ({ name, count, unsafe: !isWeightsOnlySafe(name) }));
        return { value, end: pos, globals };
      }
      case 0x28: // MARK
        if (metastack.length >= limits.maxStack) fail('pickle nesting too deep');
        depth += stack.length;
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('pickle stack underflow');
        if (stack[stack.length - 1] === MARK) popMark(); else stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // ---- numbers
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4a: push(i32()); break; // BININT
      case 0x49: push(parseIntText(line(), 'INT')); break; // INT
      case 0x4c: push(parseIntText(line(), 'LONG')); break; // LONG
      case 0x8a: { // LONG1
        const n = u8();
        push(intFromLE(bytes(n)));
        break;
      }
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        if (n > limits.maxLongBytes) fail(`integer of ${n} bytes exceeds the limit`);
        push(intFromLE(bytes(n)));
        break;
      }
      case 0x46: { // FLOAT
        const t = line().trim().toLowerCase();
        const v = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : Number(t);
        push(Number.isNaN(v) && !/^-?nan$/.test(t) ? fail('bad FLOAT literal') : v);
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      // ---- strings and bytes
      case 0x53: { // STRING
        const raw = line().trim();
        const q = raw[0];
        if (raw.length < 2 || (q !== "'" && q !== '"') || raw[raw.length - 1] !== q) fail('bad STRING literal');
        push(py2String(unescapePyString(raw.slice(1, -1))));
        break;
      }
      case 0x54: { // BINSTRING
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        push(py2String(bytes(n)));
        break;
      }
      case 0x55: push(py2String(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x56: push(rawUnicodeEscape(line())); break; // UNICODE
      case 0x58: push(decodeUtf8(bytes(u32()), 'str')); break; // BINUNICODE
      case 0x8c: push(decodeUtf8(bytes(u8()), 'str')); break; // SHORT_BINUNICODE
      case 0x8d: push(decodeUtf8(bytes(u64()), 'str')); break; // BINUNICODE8
      case 0x42: push(new PyBytes(bytes(u32()))); break; // BINBYTES
      case 0x43: push(new PyBytes(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x8e: push(new PyBytes(bytes(u64()))); break; // BINBYTES8
      case 0x96: push(new PyBytes(bytes(u64()), true)); break; // BYTEARRAY8
      case 0x97: fail('out-of-band buffers (NEXT_BUFFER) are not in the file'); break;
      case 0x98: break; // READONLY_BUFFER: no-op on our bytes
      // ---- containers
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        push(d);
        break;
      }
      case 0x8f: push(new PySet([])); break; // EMPTY_SET
      case 0x91: push(new PySet(popMark(), true)); break; // FROZENSET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) fail('ADDITEMS on a non-set');
        for (const it of items) (s as PySet).items.push(it);
        break;
      }
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      // ---- memo
      case 0x70: memoPut(Number(parseIntText(line(), 'PUT')), top()); break; // PUT
      case 0x71: memoPut(u8(), top()); break; // BINPUT
      case 0x72: memoPut(u32(), top()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size, top()); break; // MEMOIZE
      case 0x67: push(memoGet(Number(parseIntText(line(), 'GET')))); break; // GET
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      // ---- globals and objects
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(useGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(useGlobal(module as string, name as string));
        break;
      }
      case 0x82: case 0x83: case 0x84: { // EXT1/2/4
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        push(useGlobal('copyreg._extension_registry', String(code)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        const list = itemsOf(args);
        push(callGlobal(fn, list ?? [args], 'reduce'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        push(callGlobal(cls, itemsOf(args) ?? [args], 'newobj'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        push(callGlobal(cls, itemsOf(args) ?? [args], 'newobj', kwargs instanceof PyDict ? kwargs : undefined));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const name = line();
        const args = popMark();
        push(callGlobal(useGlobal(module, name), args, 'inst'));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        push(callGlobal(items[0], items.slice(1), 'inst'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state);
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        push(options.persistentLoad ? options.persistentLoad(pid) : new PyObject('persistent_id', [pid]));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        push(options.persistentLoad ? options.persistentLoad(pid) : new PyObject('persistent_id', [pid]));
        break;
      }
      default:
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Quick check that bytes look like a pickle: PROTO 2–5, or a protocol 0/1 opening opcode. */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length < 2) return false;
  if (head[0] === 0x80) return head[1] >= 2 && head[1] <= 5;
  return false;
}
