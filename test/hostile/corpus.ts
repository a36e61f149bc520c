/**
 * The adversarial corpus, generated at test time: one or more files per family of issue #15 (special
 * files, self-references, huge integers, overlapping tensors, decompression and pickle bombs, big valid
 * files, symlinks, code-execution payloads, hostile names), each with the CLI command to run and what
 * must hold. `test/unit/hostile-corpus.test.ts` runs it with time and memory limits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  PickleWriter, concat, latin1, manyTensorsSafetensors, npyHeader, payloadPickle, safetensors, torchStateDictPickle,
  torchZip, u32, zeroBomb, zip,
} from './bytes';

export interface HostileCase {
  name: string;
  /** CLI arguments (`inspect FILE --json`, `stats FILE`, `diff A B`) */
  args: string[];
  /** `ok`: exit 0; `error`: exit 1 with one line on stderr; `any`: either */
  expect: 'ok' | 'error' | 'any';
  /** peak resident memory allowed, MiB */
  memMiB: number;
  /** extra check on the output; returns what is wrong */
  check?: (out: { stdout: string; stderr: string }) => string | undefined;
}

export const BOMB_MIB = 256;
const BIG_VALID_MIB = 512;
const enc = new TextEncoder();

/** Control characters that must never reach a terminal raw (C0 but \n\t in tables' own layout, DEL, C1, bidi). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;

const noRawControl = (o: { stdout: string; stderr: string }): string | undefined =>
  RAW_CONTROL.test(o.stdout) ? 'raw control character in stdout' : RAW_CONTROL.test(o.stderr) ? 'raw control character in stderr' : undefined;

function mkfifo(p: string): void {
  rmSync(p, { force: true });
  execFileSync('mkfifo', [p]);
}

/**
 * Write the corpus under `dir` (emptied first). `canary` is the file a payload creates if it ever runs.
 * `full` adds the largest valid files (1M tensors), which take a few seconds each to make and read.
 */
export function buildHostileCorpus(dir: string, canary: string, full = true): HostileCase[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cases: HostileCase[] = [];
  const file = (name: string, bytes: Uint8Array | string): string => {
    const p = path.join(dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, bytes);
    return p;
  };
  const add = (c: HostileCase): void => { cases.push(c); };
  const inspectAll = (name: string, p: string, expect: HostileCase['expect'], memMiB = BOMB_MIB, check?: HostileCase['check']): void => {
    add({ name: `${name} (table)`, args: ['inspect', p], expect, memMiB, check: (o) => noRawControl(o) ?? check?.(o) });
    add({ name: `${name} (json)`, args: ['inspect', p, '--json'], expect, memMiB, check });
  };
  const mentions = (re: RegExp, where: 'stdout' | 'stderr' = 'stderr') => (o: { stdout: string; stderr: string }): string | undefined =>
    re.test(o[where]) ? undefined : `${where} does not match ${re}: ${o[where].slice(0, 300)}`;

  // 1. special files: a FIFO as the file, as DCP .metadata, as a shard, as ONNX external data; devices
  const fifo = path.join(dir, 'fifo.pt');
  mkfifo(fifo);
  inspectAll('fifo as the file', fifo, 'error', BOMB_MIB, mentions(/not a regular file/));
  const dcp = path.join(dir, 'dcp_fifo');
  mkdirSync(dcp);
  mkfifo(path.join(dcp, '.metadata'));
  file('dcp_fifo/__0_0.distcp', new Uint8Array(16));
  inspectAll('fifo as DCP .metadata', dcp, 'error', BOMB_MIB, mentions(/not a regular file/));
  file('st_fifo/model.safetensors.index.json', JSON.stringify({ weight_map: { w: 'model-00001-of-00001.safetensors' } }));
  mkfifo(path.join(dir, 'st_fifo', 'model-00001-of-00001.safetensors'));
  inspectAll('fifo as a safetensors shard', path.join(dir, 'st_fifo'), 'error', BOMB_MIB, mentions(/not a regular file/));
  const onnx = onnxWithExternalData('w.bin');
  file('onnx_fifo/model.onnx', onnx);
  mkfifo(path.join(dir, 'onnx_fifo', 'w.bin'));
  add({ name: 'fifo as ONNX external data (stats)', args: ['stats', path.join(dir, 'onnx_fifo', 'model.onnx')], expect: 'any', memMiB: BOMB_MIB });
  inspectAll('fifo as ONNX external data', path.join(dir, 'onnx_fifo', 'model.onnx'), 'any');
  const devLink = path.join(dir, 'zero.pt');
  symlinkSync('/dev/zero', devLink);
  inspectAll('link to /dev/zero', devLink, 'error', BOMB_MIB, mentions(/not a regular file|\/dev/));

  // self-reference and cycles
  file('selfref/pytorch_model.bin.index.json', JSON.stringify({ weight_map: { a: 'pytorch_model.bin.index.json' } }));
  inspectAll('index naming itself', path.join(dir, 'selfref'), 'error');
  file('cycle/pytorch_model.bin.index.json', JSON.stringify({ weight_map: { a: 'sub/pytorch_model.bin.index.json' } }));
  file('cycle/sub/pytorch_model.bin.index.json', JSON.stringify({ weight_map: { a: '../pytorch_model.bin.index.json' } }));
  inspectAll('two indexes naming each other', path.join(dir, 'cycle', 'pytorch_model.bin.index.json'), 'error');

  // huge integers
  for (const [op, digits] of [['I', 20_000_000], ['L', 20_000_000]] as const) {
    const body = new Uint8Array(3 + digits + 2);
    body.set([0x80, 0x02, op.charCodeAt(0)]);
    body.fill(0x37, 3, 3 + digits);
    body.set([0x0a, 0x2e], 3 + digits);
    inspectAll(`${op} integer of ${digits} digits`, file(`bigint_${op}.pkl`, body), 'any');
  }
  // LONG4 of 100 MB
  {
    const n = 100 << 20;
    const body = new Uint8Array(7 + n + 1);
    body.set([0x80, 0x02, 0x8b, ...u32(n)]);
    body[7 + n] = 0x2e;
    inspectAll('LONG4 of 100 MiB', file('bigint_long4.pkl', body), 'any');
  }

  // overlapping tensors: 300k views of one 1 MiB storage; 200 npz members over one 1 GiB entry
  // a valid checkpoint of 300k tensors: bounded as the big valid files are (the sharing must cost no more)
  const shared = file('shared_300k.pt', torchZip(torchStateDictPickle(300_000, 262_144, 262_144), 1 << 20));
  inspectAll('300k tensors sharing one storage', shared, 'ok', BIG_VALID_MIB);
  add({ name: '300k tensors sharing one storage (stats)', args: ['stats', shared], expect: 'ok', memMiB: BIG_VALID_MIB });
  add({ name: '300k tensors sharing one storage (diff)', args: ['diff', shared, shared], expect: 'ok', memMiB: BIG_VALID_MIB });
  const shifted = file('shared_shifted.pt', torchZip(torchStateDictPickle(20_000, 200_000, 262_144, (i) => i % 60_000), 1 << 20));
  add({ name: '20k overlapping windows of one storage (stats)', args: ['stats', shifted], expect: 'ok', memMiB: BOMB_MIB });
  {
    const gib = npyHeader('<f4', [1 << 28]);
    const members = [{ name: 'a0.npy', data: zeroBomb(gib, 1024) }, ...Array.from({ length: 199 }, (_, i) => ({ name: `a${i + 1}.npy`, data: new Uint8Array(0), sameAs: 'a0.npy' }))];
    const npz = file('overlap_200.npz', zip(members));
    inspectAll('200 npz members over one 1 GiB entry', npz, 'any');
    add({ name: '200 npz members over one 1 GiB entry (stats)', args: ['stats', npz], expect: 'any', memMiB: BOMB_MIB });
  }

  // decompression and pickle bombs
  {
    const cfg = { config: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`w${i}`, { path_name: 'weight_0', is_param: true, use_pickle: true, tensor_meta: { dtype: 7, sizes: [{ as_int: 4 }], strides: [{ as_int: 1 }], storage_offset: { as_int: 0 }, device: { type: 'cpu' } } }])) };
    const pt2 = zip([
      { name: 'model/archive_format', data: enc.encode('pt2') },
      { name: 'model/data/weights/model_weights_config.json', data: enc.encode(JSON.stringify(cfg)) },
      { name: 'model/data/weights/weight_0', data: zeroBomb(new Uint8Array(0), 1000) },
    ]);
    inspectAll('.pt2 weights naming one 1000 MiB deflated member', file('bomb.pt2', pt2), 'any');
  }
  {
    const pkl = torchStateDictPickle(2, 4, 4);
    const padded = file('padded_pkl.pt', torchZip(zeroBomb(pkl, 500), 16));
    inspectAll('data.pkl padded with 500 MiB of zeros', padded, 'ok');
  }
  {
    const n = 45_000_000;
    const nones = new Uint8Array(n + 5);
    nones.set([0x80, 0x02, 0x28]);
    nones.fill(0x4e, 3, 3 + n);
    nones.set([0x6c, 0x2e], 3 + n);
    inspectAll('45M Nones', file('nones.pkl', nones), 'any');
    const memo = new Uint8Array(n + 4);
    memo.set([0x80, 0x04, 0x4e]);
    memo.fill(0x94, 3, 3 + n);
    memo[3 + n] = 0x2e;
    inspectAll('45M MEMOIZE', file('memoize.pkl', memo), 'any');
    // containers instead of Nones: one byte each, batched as a pickler would (MARK, 1,000 × EMPTY_LIST, APPENDS)
    const batches = 9_000;
    const lists = new Uint8Array(3 + batches * 1002 + 1);
    lists.set([0x80, 0x02, 0x5d]);
    for (let b = 0; b < batches; b++) {
      const at = 3 + b * 1002;
      lists[at] = 0x28;
      lists.fill(0x5d, at + 1, at + 1001);
      lists[at + 1001] = 0x65;
    }
    lists[lists.length - 1] = 0x2e;
    inspectAll('9M empty lists in a list', file('empty_lists.pkl', lists), 'any');
  }
  {
    const depth = 2_000_000;
    const w = new PickleWriter().proto(2);
    for (let i = 0; i < depth; i++) w.emptyDict().bytes([0x58, ...u32(1), 0x61]);
    w.emptyDict();
    w.bytes(new Uint8Array(depth).fill(0x73)); // SETITEM
    inspectAll('2,000,000-deep nested dict', file('deep_dict.pkl', w.stop().done()), 'any');
    const lists = concat([latin1('\x80\x02'), new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61), latin1('.')]);
    inspectAll('2,000,000-deep nested list', file('deep_list.pkl', lists), 'any');
    // the same depth without stack growth: each new container wraps the previous one, fetched from the memo
    const wrap = (name: string, fileName: string, open: (w: PickleWriter, i: number) => void): void => {
      const w = new PickleWriter().proto(2);
      for (let i = 0; i < depth; i++) {
        open(w, i);
        w.put(i).bytes('0'); // POP
      }
      inspectAll(name, file(fileName, w.get(depth - 1).stop().done()), 'any');
    };
    wrap('2,000,000-deep list via memo', 'deep_list_memo.pkl', (w, i) => (i === 0 ? w.bytes(']') : w.bytes(']').get(i - 1).bytes('a')));
    wrap('2,000,000-deep dict via memo', 'deep_dict_memo.pkl', (w, i) => (i === 0 ? w.emptyDict() : w.emptyDict().str('k').get(i - 1).bytes('s')));
    {
      // grown top-down: each new list goes into the previous one after that one went into its parent
      const w = new PickleWriter().proto(2).bytes(']').put(0).bytes('0');
      for (let i = 1; i < depth; i++) w.get(i - 1).bytes(']').put(i).bytes('a0');
      inspectAll('2,000,000-deep list grown top-down', file('deep_list_topdown.pkl', w.get(0).stop().done()), 'any');
    }
    wrap('2,000,000-deep REDUCE chain', 'deep_reduce.pkl', (w, i) => (i === 0 ? w.global('mod', 'fn').emptyTuple() : w.global('mod', 'fn').get(i - 1).bytes('\x85')).reduce());
  }
  {
    // a shared sub-tree 2^40 leaves wide: a tuple of two references to the previous one, 40 times
    const w = new PickleWriter().proto(2).int(1).put(0);
    for (let i = 1; i <= 40; i++) w.get(i - 1).get(i - 1).bytes([0x86]).put(i);
    inspectAll('exponential sharing', file('exp_share.pkl', w.stop().done()), 'any');
  }

  // big valid files
  if (full) {
    const st1m = file('big_1m.safetensors', manyTensorsSafetensors(1_000_000));
    inspectAll('1M-tensor safetensors', st1m, 'ok', BIG_VALID_MIB);
  }
  const st300k = file('big_300k.safetensors', manyTensorsSafetensors(300_000));
  inspectAll('300k-tensor safetensors', st300k, 'ok', BIG_VALID_MIB);
  add({ name: '300k-tensor safetensors (stats)', args: ['stats', st300k], expect: 'ok', memMiB: BIG_VALID_MIB });
  add({ name: '300k-tensor safetensors (diff)', args: ['diff', st300k, st300k], expect: 'ok', memMiB: BIG_VALID_MIB });
  {
    const one = concat([npyHeader('<f4', [1]), new Uint8Array(4)]);
    const npz = file('big_150k.npz', zip(Array.from({ length: 150_000 }, (_, i) => ({ name: `arr_${i}.npy`, data: one }))));
    inspectAll('150k-member npz', npz, 'ok', BIG_VALID_MIB);
  }

  // symlinks: a shard outside the folder is read and disclosed; /proc is never followed
  {
    const outside = path.join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'blob'), safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
    file('linked/model.safetensors.index.json', JSON.stringify({ weight_map: { w: 'model-00001-of-00001.safetensors' } }));
    symlinkSync(path.join(outside, 'blob'), path.join(dir, 'linked', 'model-00001-of-00001.safetensors'));
    inspectAll('shard linked outside the folder', path.join(dir, 'linked'), 'ok', BOMB_MIB, (o) => /outside|links? to/.test(o.stdout) ? undefined : 'no warning about the link');
    file('proclink/model.safetensors.index.json', JSON.stringify({ weight_map: { w: 'model-00001-of-00001.safetensors' } }));
    symlinkSync('/proc/self/environ', path.join(dir, 'proclink', 'model-00001-of-00001.safetensors'));
    inspectAll('shard linked to /proc/self/environ', path.join(dir, 'proclink'), 'error');
    const dcpLinked = path.join(dir, 'dcp_link');
    mkdirSync(dcpLinked);
    symlinkSync('/proc/self/mem', path.join(dcpLinked, '.metadata'));
    file('dcp_link/__0_0.distcp', new Uint8Array(16));
    inspectAll('DCP .metadata linked to /proc/self/mem', dcpLinked, 'error');
  }

  // code-execution payloads: listed or refused, never run
  {
    const pk = payloadPickle(canary);
    inspectAll('os.system pickle', file('payload.pkl', pk), 'any', BOMB_MIB, (o) => /system/.test(o.stdout + o.stderr) ? undefined : 'the global is not reported');
    const obj = concat([npyHeader('|O', [1]), payloadPickle(canary)]);
    inspectAll('object .npy payload', file('payload.npy', obj), 'any', BOMB_MIB, (o) => /system/.test(o.stdout) ? undefined : 'the payload global is not reported');
    const npz = file('payload.npz', zip([{ name: 'x.npy', data: obj }]));
    inspectAll('object .npz payload', npz, 'any', BOMB_MIB, (o) => /system/.test(o.stdout) ? undefined : 'the payload global is not reported');
    const tz = new PickleWriter().proto(2).emptyDict().str('x').global('posix', 'system').mark().str(`touch ${canary}`).tuple().reduce().bytes('s').stop().done();
    inspectAll('torch zip payload', file('payload.pt', torchZip(tz, 0)), 'any', BOMB_MIB, (o) => /system/.test(o.stdout + o.stderr) ? undefined : 'the global is not reported');
    add({ name: 'torch zip payload (stats)', args: ['stats', path.join(dir, 'payload.pt')], expect: 'any', memMiB: BOMB_MIB });
    const cfg = { config: { w: { path_name: 'weight_0', is_param: true, use_pickle: true, tensor_meta: { dtype: 7, sizes: [{ as_int: 1 }], strides: [{ as_int: 1 }], device: { type: 'cpu' } } } } };
    const inner = torchZip(tz, 0);
    const pt2 = zip([
      { name: 'model/archive_format', data: enc.encode('pt2') },
      { name: 'model/data/weights/model_weights_config.json', data: enc.encode(JSON.stringify(cfg)) },
      { name: 'model/data/weights/weight_0', data: inner },
    ]);
    inspectAll('.pt2 pickled payload weight', file('payload.pt2', pt2), 'any', BOMB_MIB, (o) => /system/.test(o.stdout) ? undefined : 'the payload global is not reported');
  }

  // hostile names and keys, bad headers
  {
    const names = ['\x1b]0;pwned-title\x07', '\x1b[2J', 'nul\x00name', 'rtl\u202eobfuscated', 'row1\nfake.row  float32  [1]', '__proto__', 'constructor'];
    const header: Record<string, unknown> = {};
    names.forEach((n, i) => { header[n] = { dtype: 'F32', shape: [1], data_offsets: [i * 4, i * 4 + 4] }; });
    const p = file('names.safetensors', safetensors(header, names.length * 4));
    inspectAll('control characters in names', p, 'ok', BOMB_MIB, (o) => o.stdout.includes('\\x1b') || o.stdout.includes('\\u001b') ? undefined : 'escape not shown escaped');
    add({ name: 'control characters in names (stats)', args: ['stats', p], expect: 'ok', memMiB: BOMB_MIB, check: noRawControl });
    add({ name: 'control characters in names (diff)', args: ['diff', p, path.join(dir, 'payload.pt')], expect: 'ok', memMiB: BOMB_MIB, check: noRawControl });
    const proto = new PickleWriter().proto(2).emptyDict().mark().str('__proto__').int(1).str('a').int(2).setItems().stop().done();
    add({ name: '__proto__ key in content', args: ['inspect', file('proto.pkl', proto), '--json'], expect: 'ok', memMiB: BOMB_MIB,
      check: (o) => { const j = JSON.parse(o.stdout) as { content: unknown }; return Object.keys(j.content as object).includes('__proto__') ? undefined : '__proto__ key vanished'; } });
    const badDtype = file('bad_dtype.safetensors', safetensors({ w: { dtype: 'F99\x1b[31m', shape: [1], data_offsets: [0, 4] } }, 4));
    inspectAll('unknown safetensors dtype', badDtype, 'error', BOMB_MIB, mentions(/F99/));
    const neg = file('negative.npy', concat([npyHeader('<f4', [-4]), new Uint8Array(16)]));
    inspectAll('negative npy shape', neg, 'error', BOMB_MIB, mentions(/invalid|negative/));
    const negSt = file('negative.safetensors', safetensors({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 0] } }, 0));
    inspectAll('negative safetensors shape', negSt, 'error', BOMB_MIB, mentions(/invalid/));
    const negPt = file('negative.pt', torchZip(torchStateDictPickle(1, -4, 4), 16));
    inspectAll('negative torch size', negPt, 'any', BOMB_MIB, (o) => /invalid/.test(o.stdout + o.stderr) ? undefined : 'negative size not called invalid');
    add({ name: 'diff of a missing file', args: ['diff', path.join(dir, 'missing.pt'), p], expect: 'error', memMiB: BOMB_MIB, check: mentions(/missing\.pt/) });
    const ctlPath = file('ctl\x1b[2Jname.pkl', latin1('garbage'));
    add({ name: 'control characters in the path of a broken file', args: ['inspect', ctlPath], expect: 'error', memMiB: BOMB_MIB, check: noRawControl });
  }
  return cases;
}

/** A minimal ONNX model: one float32 initializer `w` [4] whose data is external (`location`). */
export function onnxWithExternalData(location: string): Uint8Array {
  const field = (no: number, wire: number, body: Uint8Array | number): Uint8Array => {
    const key = varint((no << 3) | wire);
    if (typeof body === 'number') return concat([key, varint(body)]);
    return concat([key, varint(body.length), body]);
  };
  const str = (s: string): Uint8Array => enc.encode(s);
  const entry = (k: string, v: string): Uint8Array => concat([field(1, 2, str(k)), field(2, 2, str(v))]);
  const tensor = concat([
    field(1, 0, 4), field(2, 0, 1), field(8, 2, str('w')),
    field(13, 2, entry('location', location)), field(13, 2, entry('offset', '0')), field(13, 2, entry('length', '16')),
    field(14, 0, 1),
  ]);
  const graph = concat([field(5, 2, tensor), field(2, 2, str('g'))]);
  return concat([field(1, 0, 8), field(2, 2, str('hostile')), field(7, 2, graph), field(8, 2, concat([field(2, 0, 17)]))]);
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return Uint8Array.from(out);
}
