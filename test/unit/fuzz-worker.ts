/**
 * Worker side of fuzz.test.ts: mutates seed files in memory (fixed seed), writes each case to a temp file,
 * opens it with the reader that detects it, and reads a few tensors' values and statistics. Reports every
 * case to the parent (which watches for hangs); anything but a result or an UnreadableError is a failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import zlib from 'node:zlib';
import { detectFormat } from '../../src/core/open';
import { UnreadableError } from '../../src/core/model';
import { computeStats } from '../../src/core/stats';
import { readSlice } from '../../src/core/values';
import { SliceError } from '../../src/core/slice';
import { mulberry32 } from '../hostile/mutations';

export interface FuzzSeed { name: string; ext: string; bytes: Uint8Array }
export interface FuzzJob { seeds: FuzzSeed[]; first: number; count: number; seed: number; failDir: string }
export type FuzzReport =
  | { type: 'case'; index: number; kind: string; seedName: string }
  | { type: 'done'; index: number; outcome: 'ok' | 'refused' }
  | { type: 'fail'; index: number; kind: string; seedName: string; error: string; saved: string }
  | { type: 'finished' };

const HUGE32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0xfffffff0];

function findAll(b: Uint8Array, sig: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + sig.length <= b.length; i++) {
    let ok = true;
    for (let j = 0; j < sig.length; j++) if (b[i + j] !== sig[j]) { ok = false; break; }
    if (ok) out.push(i);
  }
  return out;
}

/** Mutations: [name, (bytes, rnd) → bytes] */
const MUTATIONS: Array<[string, (b: Uint8Array, r: () => number) => Uint8Array]> = [
  ['truncate', (b, r) => b.slice(0, Math.floor(r() * b.length))],
  ['truncate-tail', (b, r) => b.slice(0, Math.max(0, b.length - 1 - Math.floor(r() * 64)))],
  ['bitflip', (b, r) => {
    const c = b.slice();
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n && c.length; i++) c[Math.floor(r() * c.length)] ^= 1 << Math.floor(r() * 8);
    return c;
  }],
  ['bitflip-head', (b, r) => {
    const c = b.slice();
    const lim = Math.min(c.length, 512);
    for (let i = 0; i < 3 && lim; i++) c[Math.floor(r() * lim)] ^= 1 << Math.floor(r() * 8);
    return c;
  }],
  ['byte-values', (b, r) => {
    const c = b.slice();
    const vals = [0, 0xff, 0x7f, 0x80, 0x01];
    for (let i = 0; i < 4 && c.length; i++) c[Math.floor(r() * c.length)] = vals[Math.floor(r() * vals.length)];
    return c;
  }],
  ['huge-u32', (b, r) => {
    const c = b.slice();
    if (c.length < 4) return c;
    const at = Math.floor(r() * (Math.min(c.length, 4096) - 3));
    new DataView(c.buffer).setUint32(at, HUGE32[Math.floor(r() * HUGE32.length)], true);
    return c;
  }],
  ['zip-header-sizes', (b, r) => {
    // central directory (PK\1\2) / local header (PK\3\4) / end record (PK\5\6) sizes and offsets
    const c = b.slice();
    const v = new DataView(c.buffer);
    const sites: Array<[number, number[]]> = [
      ...findAll(c, [0x50, 0x4b, 1, 2]).map((p): [number, number[]] => [p, [20, 24, 28, 30, 32, 42]]),
      ...findAll(c, [0x50, 0x4b, 3, 4]).map((p): [number, number[]] => [p, [18, 22, 26, 28]]),
      ...findAll(c, [0x50, 0x4b, 5, 6]).map((p): [number, number[]] => [p, [8, 10, 12, 16, 20]]),
      ...findAll(c, [0x50, 0x4b, 6, 6]).map((p): [number, number[]] => [p, [24, 32, 40, 48]]),
    ];
    if (!sites.length) return c;
    const [p, offs] = sites[Math.floor(r() * sites.length)];
    const o = p + offs[Math.floor(r() * offs.length)];
    if (o + 4 <= c.length) v.setUint32(o, HUGE32[Math.floor(r() * HUGE32.length)], true);
    return c;
  }],
  ['npy-shape', (b, r) => {
    const text = Buffer.from(b.subarray(0, Math.min(b.length, 4096))).toString('latin1');
    const m = /'shape': \(([^)]*)\)/.exec(text);
    if (!m) return b.slice();
    const huge = ['999999999999', '4294967297', '-1', '0', '3, 3, 3, 3, 3, 3, 3', '9007199254740993', '(((('][Math.floor(r() * 7)];
    const replaced = text.replace(m[0], `'shape': (${huge},)`);
    const out = new Uint8Array(b.length - text.length + replaced.length);
    out.set(Buffer.from(replaced, 'latin1'));
    out.set(b.subarray(text.length), replaced.length);
    return out;
  }],
  ['json-numbers', (b, r) => {
    // safetensors header: offsets / shapes / the length field
    const c = Buffer.from(b);
    if (r() < 0.3 && c.length >= 8) { c.writeUInt32LE(HUGE32[Math.floor(r() * HUGE32.length)], 0); return new Uint8Array(c); }
    const text = c.toString('latin1');
    const nums = [...text.slice(0, 8192).matchAll(/\d+/g)];
    if (!nums.length) return new Uint8Array(c);
    const n = nums[Math.floor(r() * nums.length)];
    const rep = ['99999999999', '18446744073709551615', '1e308', '-5', '0'][Math.floor(r() * 5)];
    const s = text.slice(0, n.index) + rep + text.slice((n.index ?? 0) + n[0].length);
    return new Uint8Array(Buffer.from(s, 'latin1'));
  }],
  ['splice', (b, r) => {
    if (b.length < 4) return b.slice();
    const from = Math.floor(r() * b.length);
    const len = Math.floor(r() * Math.min(256, b.length - from));
    const to = Math.floor(r() * b.length);
    const out = new Uint8Array(b.length + len);
    out.set(b.subarray(0, to));
    out.set(b.subarray(from, from + len), to);
    out.set(b.subarray(to), to + len);
    return out;
  }],
];

/** A stored (uncompressed) zip of the given members, as torch.save writes them. */
export function storedZip(members: Array<[string, Uint8Array]>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(members.length, 8); end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** Hand-made hostile pickles and headers: deep nesting, self-references, exponential sharing. */
function synthetic(r: () => number): { name: string; ext: string; bytes: Uint8Array } {
  const s = syntheticPlain(r);
  if (s.ext !== '.pkl' || r() < 0.5) return s;
  // the same hostile pickle as the data.pkl of a torch.save archive
  return { name: `${s.name} in a torch zip`, ext: '.pt', bytes: storedZip([['archive/data.pkl', s.bytes], ['archive/version', new Uint8Array(Buffer.from('3\n'))]]) };
}

function syntheticPlain(r: () => number): { name: string; ext: string; bytes: Uint8Array } {
  const depth = [1000, 50_000, 200_000][Math.floor(r() * 3)];
  const pick = Math.floor(r() * 8);
  const B = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  switch (pick) {
    case 0: return { name: `nested-lists-${depth}`, ext: '.pkl', bytes: B('\x80\x02' + ']'.repeat(depth) + 'a'.repeat(depth - 1) + '.') };
    case 1: return { name: `nested-marks-${depth}`, ext: '.pkl', bytes: B('\x80\x02' + '('.repeat(depth) + 'l'.repeat(depth) + '.') };
    case 2: return { name: 'self-list', ext: '.pkl', bytes: B('\x80\x04]\x94h\x00a]\x94h\x01h\x00a.') };
    case 3: return { name: 'self-dict', ext: '.pkl', bytes: B('\x80\x04}\x94(\x8c\x01a\x94h\x00\x8c\x01b\x94h\x00u.') };
    case 4: {
      // exponential sharing: x0 = []; x(i+1) = [xi, xi] — 2^depth leaves if walked naively
      let s = '\x80\x02]q\x00';
      for (let i = 1; i < 60; i++) s += `]q${String.fromCharCode(i)}(h${String.fromCharCode(i - 1)}h${String.fromCharCode(i - 1)}e`;
      return { name: 'exp-sharing', ext: '.pkl', bytes: B(s + '.') };
    }
    case 5: return { name: `nested-json-${depth}`, ext: '.safetensors', bytes: (() => { const j = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth); const h = Buffer.alloc(8); h.writeUInt32LE(j.length, 0); return new Uint8Array(Buffer.concat([h, Buffer.from(j)])); })() };
    case 6: return { name: `nested-npy-${depth}`, ext: '.npy', bytes: (() => { const lit = "{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(depth) + ')'.repeat(depth) + ', }'; const h = Buffer.alloc(12); h.write('\x93NUMPY\x02\x00', 0, 'latin1'); h.writeUInt32LE(lit.length, 8); return new Uint8Array(Buffer.concat([h, Buffer.from(lit)])); })() };
    default: {
      // a huge BINUNICODE / BINBYTES length claim
      const op = r() < 0.5 ? 'X' : 'B';
      return { name: 'huge-string-length', ext: '.pkl', bytes: B(`\x80\x03${op}\xff\xff\xff\x7fabc.`) };
    }
  }
}

async function exercise(p: string): Promise<'ok' | 'refused'> {
  const { reader } = await detectFormat(p);
  if (!reader) return 'refused';
  const ck = await reader.open(p);
  try {
    let n = 0;
    for (const t of ck.tensors) {
      if (n++ >= 4) break;
      if (!t.storage?.source || t.storage.bytes > 1 << 20) continue;
      try {
        await computeStats(t, { workers: false });
        await readSlice(t, '[...]', 64);
      } catch (err) {
        if (!(err instanceof UnreadableError) && !(err instanceof SliceError)) throw err;
      }
    }
  } finally {
    await ck.close();
  }
  return 'ok';
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const job = workerData as FuzzJob;
  const shm = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = path.join(shm, `tensorscope-fuzz-${process.pid}-${job.first}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (let i = job.first; i < job.first + job.count; i++) {
      const r = mulberry32(job.seed * 1_000_003 + i);
      let name: string;
      let ext: string;
      let bytes: Uint8Array;
      let kind: string;
      if (r() < 0.06) {
        const s = synthetic(r);
        ({ name, ext, bytes } = s);
        kind = 'synthetic';
      } else {
        const seed = job.seeds[Math.floor(r() * job.seeds.length)];
        const [mName, mutate] = MUTATIONS[Math.floor(r() * MUTATIONS.length)];
        name = seed.name;
        ext = seed.ext;
        kind = mName;
        bytes = mutate(seed.bytes, r);
        if (r() < 0.15) bytes = MUTATIONS[Math.floor(r() * MUTATIONS.length)][1](bytes, r);
      }
      const p = path.join(dir, `case${ext}`);
      writeFileSync(p, bytes);
      port.postMessage({ type: 'case', index: i, kind, seedName: name } satisfies FuzzReport);
      try {
        const outcome = await exercise(p);
        port.postMessage({ type: 'done', index: i, outcome } satisfies FuzzReport);
      } catch (err) {
        if (err instanceof UnreadableError) {
          if (err.message.includes('\n')) {
            port.postMessage({ type: 'fail', index: i, kind, seedName: name, error: `multi-line message: ${err.message}`, saved: save(job.failDir, i, ext, bytes) } satisfies FuzzReport);
          } else port.postMessage({ type: 'done', index: i, outcome: 'refused' } satisfies FuzzReport);
        } else {
          const e = err as Error;
          port.postMessage({ type: 'fail', index: i, kind, seedName: name, error: `${e?.name}: ${e?.message}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`, saved: save(job.failDir, i, ext, bytes) } satisfies FuzzReport);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  port.postMessage({ type: 'finished' } satisfies FuzzReport);
}

function save(dir: string, i: number, ext: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const p = path.join(dir, `case-${i}${ext}`);
  writeFileSync(p, bytes);
  return p;
}

void main();
