// How deep a pickle may nest: the machine's stack and nesting limits (a clear one-line error past them) and
// the tree walks that name tensors and build the content tree (bounded depth, a warning when cut).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unpickle, PyDict, TorchStorage, TorchTensor, depthOf, nestOf, type PyValue } from '../../src/core/pickle/index';
import { DEFAULT_LIMITS, objectLimit } from '../../src/core/pickle/machine';
import { MAX_NAME_DEPTH, nameTensors } from '../../src/core/naming';
import { openCheckpoint } from '../../src/core/open';
import { UnreadableError } from '../../src/core/model';
import { PickleWriter } from '../hostile/bytes';

const PY = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

/** `depth` containers, each new one wrapping the previous one fetched from the memo: the stack stays flat */
function memoWrap(depth: number, open: (w: PickleWriter, i: number) => void): Uint8Array {
  const w = new PickleWriter().proto(2);
  for (let i = 0; i < depth; i++) {
    open(w, i);
    w.put(i).bytes('0'); // POP
  }
  return w.get(depth - 1).stop().done();
}

const wraps: Record<string, (w: PickleWriter, i: number) => void> = {
  list: (w, i) => (i === 0 ? w.bytes(']') : w.bytes(']').get(i - 1).bytes('a')),
  dict: (w, i) => (i === 0 ? w.emptyDict() : w.emptyDict().str('k').get(i - 1).bytes('s')),
  'tuple (TUPLE1)': (w, i) => (i === 0 ? w.emptyTuple() : w.get(i - 1).bytes('\x85')),
  'dict key (a tuple)': (w, i) => (i === 0 ? w.emptyTuple() : w.emptyDict().get(i - 1).int(1).bytes('s')),
  'REDUCE chain': (w, i) => (i === 0 ? w.global('mod', 'fn').emptyTuple() : w.global('mod', 'fn').get(i - 1).bytes('\x85')).reduce(),
  'BUILD chain': (w, i) => (i === 0 ? w.global('mod', 'C').emptyTuple().reduce() : w.global('mod', 'C').emptyTuple().reduce().get(i - 1).bytes('b')),
  'set (ADDITEMS)': (w, i) => (i === 0 ? w.emptyTuple() : w.bytes('\x8f').mark().get(i - 1).bytes('\x90')),
  'persistent id (BINPERSID)': (w, i) => (i === 0 ? w.emptyTuple() : w.get(i - 1).binPersId()),
};

test('the default limits: a stack of half a million values, 100,000 levels of nesting', () => {
  assert.equal(DEFAULT_LIMITS.maxStack, 500_000);
  assert.equal(DEFAULT_LIMITS.maxNesting, 100_000);
});

test('a stack past the limit is refused with one clear line, early', () => {
  // the 2,000,000-deep nested dict of issue 15: EMPTY_DICT and a key, pushed 2 M times, then SETITEMs
  const depth = 300_000;
  const w = new PickleWriter().proto(2);
  for (let i = 0; i < depth; i++) w.emptyDict().str('a');
  w.emptyDict().bytes(new Uint8Array(depth).fill(0x73)).stop();
  assert.throws(() => unpickle(w.done(), { label: 'deep.pkl' }), (err: unknown) => {
    assert.ok(err instanceof UnreadableError);
    assert.match(err.message, /pickle stack holds more than 500,000 values and marks \(a pickler keeps it shallow\) \(at byte 1750002\)/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  // MARKs count too
  assert.throws(() => unpickle(Uint8Array.from([0x80, 2, ...new Array<number>(20).fill(0x28)]), { limits: { maxStack: 10 } }), /stack holds more than 10 values/);
  // a flat tuple below the limit (what pickle.dump writes for a big tuple: MARK, items, TUPLE) reads
  const n = 400_000;
  const flat = new Uint8Array(n + 5);
  flat.set([0x80, 2, 0x28]);
  flat.fill(0x4e, 3, 3 + n);
  flat.set([0x74, 0x2e], 3 + n);
  const t = unpickle(flat).value as { items: PyValue[] };
  assert.equal(t.items.length, n);
});

test('nesting past the limit is refused, whether built on the stack or through the memo', () => {
  // on the stack: 200,000 EMPTY_LISTs, then APPENDs
  const depth = 200_000;
  const stacked = new Uint8Array(2 * depth + 2);
  stacked.set([0x80, 2]);
  stacked.fill(0x5d, 2, 2 + depth);
  stacked.fill(0x61, 2 + depth, 1 + 2 * depth);
  stacked[2 * depth + 1] = 0x2e;
  assert.throws(() => unpickle(stacked), /pickle nests containers more than 100,000 levels deep \(at byte \d+\)/);
  // through the memo, with no stack growth: every way a container can take a child
  for (const [name, open] of Object.entries(wraps)) {
    const limit = 500;
    const at = unpickle(memoWrap(limit, open), { limits: { maxNesting: limit } });
    assert.equal(nestOf(at.value), limit, `${name}: ${limit} levels read`);
    assert.throws(() => unpickle(memoWrap(limit + 1, open), { limits: { maxNesting: limit } }), /more than 500 levels deep/, name);
  }
  // the default limit, 2,000,000 levels through the memo: refused after 100,000 of them
  assert.throws(() => unpickle(memoWrap(2_000_000, wraps.list)), /more than 100,000 levels deep/);
});

test('nesting a real pickler writes reads, with its depth counted', { skip: !existsSync(PY) && 'no python' }, () => {
  const bytes = execFileSync(PY, ['-c', `
import pickle, sys
sys.setrecursionlimit(50000)
x = {'leaf': 1}
for i in range(4000):
    x = {'k': [x, (i, 'a')]}
sys.stdout.buffer.write(pickle.dumps(x, protocol=4))
`], { maxBuffer: 64 << 20 });
  const r = unpickle(bytes);
  assert.equal(nestOf(r.value), 2 * 4000 + 1);
  const named = nameTensors(r.value);
  assert.equal(named.tensors.length, 0);
  assert.equal(named.warning, undefined, 'no tensor below: no warning');
});

function tensor(): TorchTensor {
  return new TorchTensor('float32', [2], [1], 0, new TorchStorage('data/0', 'float32', 'cpu', 8), 'cpu');
}

/** a dict nested `depth` levels (key `k`) with a tensor `w` at the bottom */
function deepDict(depth: number): PyDict {
  const bottom = new PyDict();
  bottom.set('w', tensor());
  let d = bottom;
  for (let i = 0; i < depth; i++) {
    const up = new PyDict();
    up.set('k', d);
    d = up;
  }
  return d;
}

test('naming stops at its depth and says so; the content tree stays small', () => {
  const shallow = nameTensors(deepDict(MAX_NAME_DEPTH - 1));
  assert.equal(shallow.tensors.length, 1);
  assert.equal(shallow.tensors[0].name, `${'k.'.repeat(MAX_NAME_DEPTH - 1)}w`);
  assert.equal(shallow.warning, undefined);
  const deep = nameTensors(deepDict(MAX_NAME_DEPTH));
  assert.equal(deep.tensors.length, 0);
  assert.equal(deep.truncated, true);
  assert.equal(deep.warning, `the object tree nests deeper than ${MAX_NAME_DEPTH} levels: tensors below that depth are not listed`);
  // a tree built top-down (each container put into the previous one after that one went in) nests deeper
  // than the machine tracks: every walk is still bounded
  const root: PyValue[] = [];
  let at = root;
  for (let i = 0; i < 1_000_000; i++) {
    const next: PyValue[] = [];
    at.push(next);
    at = next;
  }
  at.push(tensor());
  const named = nameTensors(root);
  assert.equal(named.tensors.length, 0);
  assert.match(named.warning ?? '', /nests deeper than 256 levels/);
  assert.ok(JSON.stringify(named.content).length < 1000);
});

test('a plain pickle nested deeper than names go opens with the warning; past the machine limit, one error line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-nesting-'));
  try {
    const ok = path.join(dir, 'deep_ok.pkl');
    writeFileSync(ok, memoWrap(50_000, wraps.dict));
    const ck = await openCheckpoint(ok);
    assert.equal(ck.tensors.length, 0);
    assert.deepEqual(ck.warnings, [`the object tree nests deeper than ${MAX_NAME_DEPTH} levels: tensors below that depth are not listed`]);
    assert.ok(JSON.stringify(ck.content).length < 1000);
    await ck.close();
    const bad = path.join(dir, 'deep_bad.pkl');
    writeFileSync(bad, memoWrap(100_001, wraps.dict));
    await assert.rejects(openCheckpoint(bad), (err: unknown) => {
      assert.ok(err instanceof UnreadableError);
      assert.match(err.message, /pickle nests containers more than 100,000 levels deep/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tree grown top-down through the memo is refused past the limit too', () => {
  // each new container goes into the previous one after that one went into its own parent
  const topDown = (depth: number, first: string, step: (w: PickleWriter, i: number) => void): Uint8Array => {
    const w = new PickleWriter().proto(2).bytes(first).put(0).bytes('0');
    for (let i = 1; i < depth; i++) {
      step(w, i);
      w.bytes('0'); // POP
    }
    return w.get(0).stop().done();
  };
  const ways: Record<string, (d: number) => Uint8Array> = {
    list: (d) => topDown(d, ']', (w, i) => w.get(i - 1).bytes(']').put(i).bytes('a')),
    dict: (d) => topDown(d, '}', (w, i) => w.get(i - 1).str('k').emptyDict().put(i).bytes('s')),
    'object (SETITEM)': (d) => topDown(d, '}', (w, i) => w.get(i - 1).str('k').global('mod', 'C').emptyTuple().reduce().put(i).bytes('s')),
  };
  for (const [name, make] of Object.entries(ways)) {
    const ok = unpickle(make(500), { limits: { maxNesting: 500 } });
    assert.equal(nestOf(ok.value), 2, `${name}: the root only knows of its first level`);
    assert.throws(() => unpickle(make(501), { limits: { maxNesting: 500 } }), /more than 500 levels deep/, name);
  }
  assert.throws(() => unpickle(ways.list(2_000_000)), /more than 100,000 levels deep/);
});

test('a list has a depth only when the memo shares it (a flat list of small lists needs no side table)', () => {
  const flat = unpickle(new PickleWriter().proto(2).bytes(']').mark().bytes(']]]').bytes('e').stop().done()).value as PyValue[][];
  assert.equal(flat.length, 3);
  assert.equal(depthOf(flat[0]), 0);
  // L0 ← L1 ← L2, each fetched from the memo again after it went in
  const w = new PickleWriter().proto(2).bytes(']').put(0).bytes('0');
  for (let i = 1; i < 3; i++) w.get(i - 1).bytes(']').put(i).bytes('a0');
  const l0 = unpickle(w.get(0).stop().done()).value as PyValue[][][];
  assert.equal(depthOf(l0[0]), 1);
  assert.equal(depthOf(l0[0][0]), 0, 'L2 is never fetched again: it takes no depth');
});

test('containers and objects made are bounded (maxObjects): a clear error, not gigabytes', () => {
  const lists = (n: number) => Uint8Array.from([0x80, 0x02, 0x5d, 0x28, ...new Array<number>(n).fill(0x5d), 0x65, 0x2e]);
  assert.equal((unpickle(lists(999), { limits: { maxObjects: 1000 } }).value as unknown[]).length, 999);
  assert.throws(() => unpickle(lists(1000), { limits: { maxObjects: 1000 } }), /pickle makes more than 1,000 containers and objects/);
  // by default, one per 4 bytes of pickle (at least 1 M): a file of one-byte containers stops early
  assert.equal(objectLimit(100), 1_000_000);
  assert.equal(objectLimit(20_000_000), 5_000_000);
  assert.equal(objectLimit(1e9), DEFAULT_LIMITS.maxObjects);
  // batched as a pickler writes it (MARK, 1,000 × EMPTY_LIST, APPENDS), so the stack stays shallow
  const batched = Uint8Array.from([0x80, 0x02, 0x5d, ...Array.from({ length: 1_200 }, () => [0x28, ...new Array<number>(1000).fill(0x5d), 0x65]).flat(), 0x2e]);
  assert.throws(() => unpickle(batched), /pickle makes more than 1,000,000 containers/);
});
