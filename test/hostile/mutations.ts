/**
 * Mutations for the opt-in mutation run (`test/hostile/mutate.ts`): byte-level damage (truncation, bit
 * flips, overwritten runs, inserted and deleted bytes) and format-aware edits (zip local / central / end
 * record fields, pickle opcodes swapped, duplicated, deleted or replaced, safetensors JSON header entries,
 * npy header dicts). Each is a pure function of the input and a seeded random source, and says what it did,
 * so a mutant is reproduced from its seed file, the run's seed and its index.
 */

export type Rng = () => number;

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same mutants on every machine. */
export function mulberry32(seed: number): Rng {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: Rng, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

export interface Mutant { bytes: Uint8Array; what: string }
export interface Mutation {
  kind: string;
  /** whether the mutation has something to work on in `b` */
  applies(b: Uint8Array): boolean;
  apply(b: Uint8Array, r: Rng): Mutant;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const fromLatin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const enc = new TextEncoder();

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at));
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

function randomBytes(r: Rng, n: number): Uint8Array {
  const style = int(r, 4);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = style === 0 ? 0 : style === 1 ? 0xff : style === 2 ? int(r, 256) : pick(r, [0x28, 0x2e, 0x50, 0x4b, 0x80, 0x7d, 0x5d, 0x71, 0x0a, 0x22, 0x7b]);
  return out;
}

function findAll(b: Uint8Array, sig: readonly number[], limit = 4096): number[] {
  const out: number[] = [];
  const first = sig[0];
  for (let i = b.indexOf(first); i >= 0 && i + sig.length <= b.length && out.length < limit; i = b.indexOf(first, i + 1)) {
    let ok = true;
    for (let j = 1; j < sig.length; j++) if (b[i + j] !== sig[j]) { ok = false; break; }
    if (ok) out.push(i);
  }
  return out;
}

/** Values that break readers that trust a header: the edges of each field width, and plausible lies. */
function hostileValue(r: Rng, width: 2 | 4, old: number, fileSize: number): number {
  const max = width === 2 ? 0xffff : 0xffffffff;
  const choices = [0, 1, max, max - 1, width === 2 ? 0x8000 : 0x80000000, width === 2 ? 0x7fff : 0x7fffffff, old + 1, Math.max(0, old - 1), old * 2, fileSize, fileSize + 1, Math.floor(fileSize / 2)];
  return Math.min(max, Math.max(0, pick(r, choices))) >>> 0;
}

// ---------------------------------------------------------------------------------------------- bytes

const truncate: Mutation = {
  kind: 'truncate',
  applies: (b) => b.length > 1,
  apply(b, r) {
    const at = r() < 0.5 ? int(r, b.length) : Math.max(0, b.length - 1 - int(r, Math.min(b.length, 256)));
    return { bytes: b.slice(0, at), what: `truncated to ${at} of ${b.length} bytes` };
  },
};

const bitflip: Mutation = {
  kind: 'bitflip',
  applies: (b) => b.length > 0,
  apply(b, r) {
    const c = b.slice();
    const n = 1 + int(r, 8);
    // half the time in the first 4 KiB, where the headers are
    const span = r() < 0.5 ? Math.min(c.length, 4096) : c.length;
    const at: number[] = [];
    for (let i = 0; i < n; i++) { const p = int(r, span); c[p] ^= 1 << int(r, 8); at.push(p); }
    return { bytes: c, what: `${n} bit flip${n > 1 ? 's' : ''} at ${at.join(',')}` };
  },
};

const overwriteRun: Mutation = {
  kind: 'overwrite-run',
  applies: (b) => b.length > 0,
  apply(b, r) {
    const c = b.slice();
    const at = int(r, c.length);
    const n = Math.min(c.length - at, 1 + int(r, r() < 0.8 ? 16 : 4096));
    c.set(randomBytes(r, n), at);
    return { bytes: c, what: `${n} bytes overwritten at ${at}` };
  },
};

const insertBytes: Mutation = {
  kind: 'insert',
  applies: () => true,
  apply(b, r) {
    const at = int(r, b.length + 1);
    // inserted: random bytes, or a copy of a piece of the file itself (a repeated header, record or opcode run)
    let ins: Uint8Array;
    if (b.length && r() < 0.5) { const from = int(r, b.length); ins = b.slice(from, from + 1 + int(r, 256)); } else ins = randomBytes(r, 1 + int(r, 64));
    return { bytes: splice(b, at, 0, ins), what: `${ins.length} bytes inserted at ${at}` };
  },
};

const deleteBytes: Mutation = {
  kind: 'delete',
  applies: (b) => b.length > 1,
  apply(b, r) {
    const at = int(r, b.length);
    const n = Math.min(b.length - at, 1 + int(r, r() < 0.8 ? 16 : 1024));
    return { bytes: splice(b, at, n), what: `${n} bytes deleted at ${at}` };
  },
};

// ---------------------------------------------------------------------------------------------- zip

const ZIP_FIELDS: Array<{ sig: number[]; name: string; fields: Array<[string, number, 2 | 4]> }> = [
  { sig: [0x50, 0x4b, 3, 4], name: 'local', fields: [['method', 8, 2], ['flags', 6, 2], ['csize', 18, 4], ['size', 22, 4], ['name length', 26, 2], ['extra length', 28, 2]] },
  { sig: [0x50, 0x4b, 1, 2], name: 'central', fields: [['method', 10, 2], ['flags', 8, 2], ['csize', 20, 4], ['size', 24, 4], ['name length', 28, 2], ['extra length', 30, 2], ['comment length', 32, 2], ['local offset', 42, 4]] },
  { sig: [0x50, 0x4b, 5, 6], name: 'end record', fields: [['entries on disk', 8, 2], ['entries', 10, 2], ['directory size', 12, 4], ['directory offset', 16, 4], ['comment length', 20, 2]] },
];

function zipMutation(which: (typeof ZIP_FIELDS)[number]): Mutation {
  return {
    kind: `zip-${which.name.replace(' ', '-')}`,
    applies: (b) => findAll(b, which.sig, 1).length > 0,
    apply(b, r) {
      const sites = findAll(b, which.sig);
      const site = pick(r, sites);
      const [field, off, width] = pick(r, which.fields);
      const c = b.slice();
      if (site + off + width > c.length) return { bytes: c, what: `${which.name} header at ${site} too short for ${field}` };
      const v = new DataView(c.buffer);
      const old = width === 2 ? v.getUint16(site + off, true) : v.getUint32(site + off, true);
      let value = old;
      for (let tries = 0; value === old && tries < 8; tries++) value = field === 'method' ? pick(r, [0, 8, 9, 12, 14, 93, 99, 0xffff]) : hostileValue(r, width, old, b.length);
      if (width === 2) v.setUint16(site + off, value, true); else v.setUint32(site + off, value, true);
      return { bytes: c, what: `zip ${which.name} header #${sites.indexOf(site)} at ${site}: ${field} ${old} → ${value}` };
    },
  };
}

// ---------------------------------------------------------------------------------------------- pickle

/** Argument bytes after each opcode: a fixed count, `nl` (one newline-terminated line), `nl2` (two), or a length prefix. */
type ArgSpec = number | 'nl' | 'nl2' | 'len1' | 'len4' | 'len8';
const OPS: Record<number, ArgSpec> = {};
for (const c of '().012NRQ)]}aeltusbdo') OPS[c.charCodeAt(0)] = 0;
for (const op of [0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98]) OPS[op] = 0;
for (const c of 'KqhU') OPS[c.charCodeAt(0)] = c === 'U' ? 'len1' : 1;
OPS[0x80] = 1; OPS[0x82] = 1; OPS[0x43] = 'len1'; OPS[0x8c] = 'len1'; OPS[0x8a] = 'len1';
OPS['M'.charCodeAt(0)] = 2; OPS[0x83] = 2;
for (const c of 'Jrj') OPS[c.charCodeAt(0)] = 4;
OPS[0x84] = 4;
for (const c of 'TXB') OPS[c.charCodeAt(0)] = 'len4';
OPS[0x8b] = 'len4';
OPS[0x95] = 8; OPS['G'.charCodeAt(0)] = 8;
OPS[0x8e] = 'len8'; OPS[0x8d] = 'len8'; OPS[0x96] = 'len8';
for (const c of 'ILFSVPpg') OPS[c.charCodeAt(0)] = 'nl';
for (const c of 'ci') OPS[c.charCodeAt(0)] = 'nl2';
const NO_ARG_OPS = Object.entries(OPS).filter(([, a]) => a === 0).map(([k]) => Number(k));

/** The opcodes of the pickle at `start..end`, as [start, end) spans, up to STOP or the first unknown byte. */
export function pickleOps(b: Uint8Array, start = 0, end = b.length, limit = 200_000): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let p = start;
  while (p < end && out.length < limit) {
    const op = b[p];
    const spec = OPS[op];
    if (op === 0x2e) { out.push([p, p + 1]); break; }
    if (spec === undefined) break;
    let q = p + 1;
    if (typeof spec === 'number') q += spec;
    else if (spec === 'nl' || spec === 'nl2') {
      for (let lines = spec === 'nl' ? 1 : 2; lines > 0 && q < end; lines--) { const nl = b.indexOf(0x0a, q); if (nl < 0 || nl >= end) return out; q = nl + 1; }
    } else {
      const w = spec === 'len1' ? 1 : spec === 'len4' ? 4 : 8;
      if (q + w > end) break;
      let n = 0;
      for (let i = w - 1; i >= 0; i--) n = n * 256 + b[q + i];
      q += w + n;
    }
    if (q > end) break;
    out.push([p, q]);
    p = q;
  }
  return out;
}

/** Where pickles are: a plain pickle file, or the stored `.pkl` members of a zip (torch.save, TorchScript). */
export function pickleRegions(b: Uint8Array): Array<{ start: number; end: number; inZip: boolean }> {
  if (b.length > 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) return [{ start: 0, end: b.length, inZip: false }];
  const out: Array<{ start: number; end: number; inZip: boolean }> = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const p of findAll(b, [0x50, 0x4b, 3, 4], 256)) {
    if (p + 30 > b.length) continue;
    const method = v.getUint16(p + 8, true);
    const csize = v.getUint32(p + 18, true);
    const nameLen = v.getUint16(p + 26, true);
    const extraLen = v.getUint16(p + 28, true);
    const name = latin1(b.subarray(p + 30, p + 30 + nameLen));
    const start = p + 30 + nameLen + extraLen;
    if (method === 0 && name.endsWith('.pkl') && start + csize <= b.length && csize > 2) out.push({ start, end: start + csize, inZip: true });
  }
  return out;
}

const pickleOpcodes: Mutation = {
  kind: 'pickle-opcodes',
  applies: (b) => pickleRegions(b).some((g) => pickleOps(b, g.start, g.end, 4).length > 2),
  apply(b, r) {
    const regions = pickleRegions(b).filter((g) => pickleOps(b, g.start, g.end, 4).length > 2);
    const g = pick(r, regions);
    const ops = pickleOps(b, g.start, g.end);
    const [s1, e1] = ops[1 + int(r, ops.length - 1)];
    // inside a zip member the length must stay the same (the headers give it): swap or replace only
    const how = g.inZip ? pick(r, ['swap', 'replace']) : pick(r, ['swap', 'duplicate', 'delete', 'replace', 'repeat']);
    const where = g.inZip ? ' (zip member)' : '';
    if (how === 'swap') {
      const [s2, e2] = ops[1 + int(r, ops.length - 1)];
      const [a, bb] = s1 <= s2 ? [[s1, e1], [s2, e2]] : [[s2, e2], [s1, e1]];
      if (a[1] > bb[0]) return { bytes: b.slice(), what: 'pickle opcode swapped with itself' };
      const out = b.slice();
      const first = b.slice(a[0], a[1]);
      const mid = b.slice(a[1], bb[0]);
      const second = b.slice(bb[0], bb[1]);
      out.set(second, a[0]);
      out.set(mid, a[0] + second.length);
      out.set(first, a[0] + second.length + mid.length);
      return { bytes: out, what: `pickle opcodes 0x${b[a[0]].toString(16)} at ${a[0]} and 0x${b[bb[0]].toString(16)} at ${bb[0]} swapped${where}` };
    }
    if (how === 'replace') {
      const out = b.slice();
      if (e1 - s1 !== 1) {
        // an opcode with arguments: damage its argument instead (a length, a memo index, a line)
        const at = s1 + 1 + int(r, e1 - s1 - 1);
        out[at] = pick(r, [0, 0xff, 0x7f, 0x0a, int(r, 256)]);
        return { bytes: out, what: `argument byte of pickle opcode 0x${b[s1].toString(16)} at ${at} → ${out[at]}${where}` };
      }
      out[s1] = pick(r, NO_ARG_OPS);
      return { bytes: out, what: `pickle opcode 0x${b[s1].toString(16)} at ${s1} → 0x${out[s1].toString(16)}${where}` };
    }
    if (how === 'delete') return { bytes: splice(b, s1, e1 - s1), what: `pickle opcode 0x${b[s1].toString(16)} at ${s1} deleted` };
    const times = how === 'repeat' ? pick(r, [2, 10, 1000, 100_000]) : 1;
    const one = b.slice(s1, e1);
    if (one.length * times > 4 << 20) return { bytes: b.slice(), what: 'pickle opcode repeat too large, skipped' };
    const ins = new Uint8Array(one.length * times);
    for (let i = 0; i < times; i++) ins.set(one, i * one.length);
    return { bytes: splice(b, e1, 0, ins), what: `pickle opcode 0x${b[s1].toString(16)} at ${s1} duplicated ${times}×` };
  },
};

// ---------------------------------------------------------------------------------------------- safetensors

function safetensorsHeader(b: Uint8Array): { n: number; json: Record<string, unknown> } | undefined {
  if (b.length < 10) return undefined;
  const n = Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));
  if (n < 2 || 8 + n > b.length || b[8] !== 0x7b) return undefined;
  try {
    const json = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString('utf8')) as unknown;
    return json && typeof json === 'object' && !Array.isArray(json) ? { n, json: json as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}

const HUGE_NUMBERS = [-1, -4, 0, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e300, 1.5];
const DTYPES = ['F99', '', 'f32', 'F32', 'F16', 'BF16', 'F64', 'I8', 'U8', 'I64', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'C64', 'x'.repeat(5000), '\u001b]0;title\u0007', 'F32\n', 'I4'];

const safetensorsJson: Mutation = {
  kind: 'safetensors-json',
  applies: (b) => safetensorsHeader(b) !== undefined,
  apply(b, r) {
    const h = safetensorsHeader(b) as { n: number; json: Record<string, unknown> };
    const names = Object.keys(h.json).filter((k) => k !== '__metadata__');
    const json = h.json;
    let what: string;
    const name = names.length ? pick(r, names) : undefined;
    const entry = name !== undefined && json[name] && typeof json[name] === 'object' ? json[name] as Record<string, unknown> : undefined;
    const edit = entry ? int(r, 8) : 7;
    const anyValue = (): unknown => pick(r, [null, 'x', [], {}, true, -1, [[1]], ['1'], 2 ** 64]);
    if (edit === 0 && entry) { entry.dtype = pick(r, DTYPES); what = `dtype of ${JSON.stringify(name)} → ${JSON.stringify(entry.dtype).slice(0, 40)}`; }
    else if (edit === 1 && entry) {
      const shape = pick(r, [[-4], [2 ** 53], [1e6, 1e6, 1e6], [], [0], Array(64).fill(2), [2 ** 31, 2 ** 31], ['a'], [1.5], null]);
      entry.shape = shape; what = `shape of ${JSON.stringify(name)} → ${JSON.stringify(shape)}`;
    } else if (edit === 2 && entry) {
      const offsets = Array.isArray(entry.data_offsets) ? [...entry.data_offsets as number[]] : [0, 0];
      const i = int(r, 2);
      offsets[i] = pick(r, HUGE_NUMBERS);
      if (r() < 0.3) offsets.reverse();
      entry.data_offsets = offsets; what = `data_offsets of ${JSON.stringify(name)} → ${JSON.stringify(offsets)}`;
    } else if (edit === 3 && entry) {
      const key = pick(r, ['dtype', 'shape', 'data_offsets']);
      if (r() < 0.5) delete entry[key]; else entry[key] = anyValue();
      what = `${key} of ${JSON.stringify(name)} removed or retyped → ${JSON.stringify(entry[key])}`;
    } else if (edit === 4 && entry && names.length > 1) {
      // two tensors over the same bytes
      const other = json[pick(r, names)] as Record<string, unknown> | null;
      if (other && typeof other === 'object') entry.data_offsets = other.data_offsets;
      what = `data_offsets of ${JSON.stringify(name)} copied from another tensor`;
    } else if (edit === 5 && name !== undefined) {
      json[name] = anyValue(); what = `entry ${JSON.stringify(name)} → ${JSON.stringify(json[name])}`;
    } else if (edit === 6 && name !== undefined) {
      const renamed = pick(r, ['__proto__', 'constructor', '', 'a'.repeat(100_000), 'x\u001b[2Jy', 'row\nfake', '../../etc/passwd']);
      json[renamed] = json[name]; delete json[name]; what = `${JSON.stringify(name)} renamed to ${JSON.stringify(renamed).slice(0, 40)}`;
    } else {
      json.__metadata__ = pick(r, [{ format: 'pt' }, { format: 1 }, 'x', [1, 2], { a: { b: 1 } }, null]);
      what = `__metadata__ → ${JSON.stringify(json.__metadata__)}`;
    }
    const text = enc.encode(JSON.stringify(json));
    const head = new Uint8Array(8);
    let n = text.length;
    if (r() < 0.15) { n = pick(r, [0, 1, text.length - 1, text.length + 1, 0xffffffff, b.length]); what += `; header length → ${n}`; }
    new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
    const rest = b.subarray(8 + h.n);
    const out = new Uint8Array(8 + text.length + rest.length);
    out.set(head); out.set(text, 8); out.set(rest, 8 + text.length);
    return { bytes: out, what };
  },
};

// ---------------------------------------------------------------------------------------------- npy

const npyHeader: Mutation = {
  kind: 'npy-header',
  applies: (b) => b.length > 12 && b[0] === 0x93 && latin1(b.subarray(1, 6)) === 'NUMPY',
  apply(b, r) {
    const major = b[6];
    const lenBytes = major === 1 ? 2 : 4;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const hlen = lenBytes === 2 ? v.getUint16(8, true) : v.getUint32(8, true);
    const dataStart = 8 + lenBytes + hlen;
    if (dataStart > b.length) return { bytes: b.slice(), what: 'npy header longer than the file, unchanged' };
    let dict = latin1(b.subarray(8 + lenBytes, dataStart));
    let what: string;
    const edit = int(r, 6);
    if (edit === 0) {
      const descr = pick(r, ['<f4', '|O', '<U999999999', '>c16', '|V0', '<m8[ns]', "[('a', '<f4'), ('b', '|O')]", '<f3', 'garbage', "'", '<i8', '|b1', '<f2', '<M8[D]', '|S0']);
      dict = dict.replace(/'descr': *('[^']*'|\[[^\]]*\])/, `'descr': ${descr.startsWith('[') ? descr : `'${descr}'`}`);
      what = `npy descr → ${descr}`;
    } else if (edit === 1) {
      const shape = pick(r, ['(-4,)', '(4611686018427387904,)', '(' + '2, '.repeat(64) + ')', '()', "('a',)", '(0,)', '(3037000500, 3037000500)', '(1.5,)', '(((((((1,),),),),),),)', '(None,)']);
      dict = dict.replace(/'shape': *\([^)]*\)/, `'shape': ${shape}`);
      what = `npy shape → ${shape}`;
    } else if (edit === 2) {
      const order = pick(r, ['True', 'Maybe', '1', 'None', "'yes'"]);
      dict = dict.replace(/'fortran_order': *\w+/, `'fortran_order': ${order}`);
      what = `npy fortran_order → ${order}`;
    } else if (edit === 3) {
      const junk = pick(r, ["'extra': 1, ", "'descr': '<f8', ", '**{}, ', "'\\x00': 2, ", "b'k': 1, ", '__import__("os"), ']);
      dict = dict.replace('{', `{${junk}`);
      what = `npy dict gets ${junk.trim()}`;
    } else if (edit === 4) {
      const cut = int(r, dict.length);
      dict = dict.slice(0, cut) + dict.slice(cut + 1 + int(r, 8));
      what = `npy dict loses bytes at ${cut}`;
    } else {
      const c = b.slice();
      const cv = new DataView(c.buffer);
      const field = pick(r, ['version', 'header length'] as const);
      if (field === 'version') { c[6] = pick(r, [0, 2, 3, 4, 0xff]); c[7] = pick(r, [0, 1, 0xff]); return { bytes: c, what: `npy version → ${c[6]}.${c[7]}` }; }
      const value = hostileValue(r, lenBytes as 2 | 4, hlen, b.length);
      if (lenBytes === 2) cv.setUint16(8, value, true); else cv.setUint32(8, value, true);
      return { bytes: c, what: `npy header length ${hlen} → ${value}` };
    }
    // keep the header length honest (the dict changed size), unless the edit is about that
    const text = fromLatin1(dict);
    const out = new Uint8Array(8 + lenBytes + text.length + b.length - dataStart);
    out.set(b.subarray(0, 8));
    const ov = new DataView(out.buffer);
    if (lenBytes === 2) ov.setUint16(8, Math.min(0xffff, text.length), true); else ov.setUint32(8, text.length, true);
    out.set(text, 8 + lenBytes);
    out.set(b.subarray(dataStart), 8 + lenBytes + text.length);
    return { bytes: out, what };
  },
};

export const MUTATIONS: readonly Mutation[] = [
  truncate, bitflip, overwriteRun, insertBytes, deleteBytes,
  ...ZIP_FIELDS.map(zipMutation), pickleOpcodes, safetensorsJson, npyHeader,
];

/**
 * One mutant of `b`: format-aware edits are preferred when they apply (they reach past the first check of
 * each reader), byte-level damage otherwise. Occasionally two mutations are stacked.
 */
export function mutate(b: Uint8Array, r: Rng): Mutant & { kind: string } {
  const usable = MUTATIONS.filter((m) => m.applies(b));
  const aware = usable.filter((m) => m.kind.startsWith('zip') || m.kind.startsWith('pickle') || m.kind.startsWith('safetensors') || m.kind.startsWith('npy'));
  const choose = (): Mutation => (aware.length && r() < 0.55 ? pick(r, aware) : pick(r, usable));
  const m = choose();
  const first = m.apply(b, r);
  if (r() < 0.1) {
    const second = MUTATIONS.filter((x) => x.applies(first.bytes));
    if (second.length) {
      const m2 = pick(r, second);
      const next = m2.apply(first.bytes, r);
      return { kind: `${m.kind}+${m2.kind}`, bytes: next.bytes, what: `${first.what}; then ${next.what}` };
    }
  }
  return { kind: m.kind, ...first };
}
