// The safe pickle machine: every protocol (pickles made by real Python), Python 2 opcodes, hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import {
  unpickle, torchReconstructors, PyBytes, PyDict, PyObject, PySet, PyTuple, TorchTensor, TorchStorage, type PyValue,
} from '../../src/core/pickle/index';
import { nameTensors } from '../../src/core/naming';
import { UnreadableError } from '../../src/core/model';

const PY = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const hasPython = existsSync(PY);

function py(code: string): Buffer {
  return execFileSync(PY, ['-c', code], { maxBuffer: 64 << 20 });
}

/** A plain JS rendering to compare with what Python says. */
function plain(v: PyValue): unknown {
  if (v instanceof PyBytes) return { bytes: Buffer.from(v.data).toString('hex') };
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof PySet) return { set: v.items.map(plain).map((x) => JSON.stringify(x)).sort() };
  if (v instanceof PyDict) return { dict: [...v.entries()].map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof PyObject) return { obj: v.className, state: v.state === undefined ? null : plain(v.state) };
  if (typeof v === 'bigint') return { big: v.toString() };
  if (typeof v === 'number' && Number.isNaN(v)) return 'nan';
  return v;
}

const SAMPLE = `
import pickle, sys, collections
class Thing:
    def __init__(self): self.a = 1; self.b = [1, 2]
obj = {
  'none': None, 't': True, 'f': False, 'small': 7, 'neg': -3, 'i16': 40000, 'i32': -2**31, 'big': 2**70, 'nbig': -2**65,
  'float': 1.5, 'nan': float('nan'), 'str': 'héllo ✓', 'bytes': b'\\x00\\x01\\xff', 'ba': bytearray(b'ab'),
  'list': [1, [2, 3]], 'tuple': (1,), 't2': (1, 2), 't3': (1, 2, 3), 't4': (1, 2, 3, 4), 'empty': (),
  'set': {1, 2}, 'fs': frozenset([3]), 'od': collections.OrderedDict([('x', 1), ('y', 2)]), 3: 'int key',
  'thing': Thing(),
}
sys.stdout.buffer.write(pickle.dumps(obj, protocol=int(sys.argv[1]) if len(sys.argv) > 1 else PROTO))
`;

for (const proto of [0, 1, 2, 3, 4, 5]) {
  test(`pickle protocol ${proto} made by Python decodes`, { skip: !hasPython && `${PY} missing` }, () => {
    const data = py(SAMPLE.replace('PROTO', String(proto)));
    const { value, globals } = unpickle(data, { reconstructors: torchReconstructors() });
    assert.ok(value instanceof PyDict);
    const d = value as PyDict;
    assert.equal(d.get('none'), null);
    assert.equal(d.get('t'), true);
    assert.equal(d.get('f'), false);
    assert.equal(d.get('small'), 7);
    assert.equal(d.get('neg'), -3);
    assert.equal(d.get('i16'), 40000);
    assert.equal(d.get('i32'), -(2 ** 31));
    assert.equal(d.get('big'), 2n ** 70n);
    assert.equal(d.get('nbig'), -(2n ** 65n));
    assert.equal(d.get('float'), 1.5);
    assert.ok(Number.isNaN(d.get('nan') as number));
    assert.equal(d.get('str'), 'héllo ✓');
    assert.deepEqual(plain(d.get('bytes') as PyValue), { bytes: '0001ff' });
    assert.deepEqual(plain(d.get('ba') as PyValue), { bytes: '6162' });
    assert.deepEqual(plain(d.get('list') as PyValue), [1, [2, 3]]);
    assert.deepEqual(plain(d.get('tuple') as PyValue), { tuple: [1] });
    assert.deepEqual(plain(d.get('t4') as PyValue), { tuple: [1, 2, 3, 4] });
    assert.deepEqual(plain(d.get('empty') as PyValue), { tuple: [] });
    assert.deepEqual(plain(d.get('set') as PyValue), { set: ['1', '2'] });
    assert.deepEqual(plain(d.get('fs') as PyValue), { set: ['3'] });
    const od = d.get('od');
    assert.ok(od instanceof PyDict && od.className === 'collections.OrderedDict');
    assert.deepEqual(plain(od), { dict: [['x', 1], ['y', 2]] });
    assert.equal(d.get(3), 'int key');
    const thing = d.get('thing');
    assert.ok(thing instanceof PyObject);
    assert.equal((thing as PyObject).className, '__main__.Thing');
    assert.deepEqual(plain((thing as PyObject).state as PyValue), { dict: [['a', 1], ['b', [1, 2]]] });
    const g = globals.find((x) => x.name === '__main__.Thing');
    assert.ok(g && g.unsafe, '__main__.Thing flagged as weights_only-unsafe');
  });
}

test('Python 2 style opcodes: STRING, INT bools, LONG, copy_reg._reconstructor', () => {
  const p0 = Buffer.from(
    "(dp0\nS'key'\np1\nI01\nsS'n'\nL12345678901234567890L\nsS'esc'\nS'a\\x41\\n'\nsVuni\\u00e9\np2\nF2.5\nsS'inf'\nF-inf\ns" +
    "S'obj'\nccopy_reg\n_reconstructor\n(c__main__\nOld\nc__builtin__\nobject\nNtR(dS'x'\nI3\nsb" +
    's.', 'latin1');
  const { value } = unpickle(p0, { reconstructors: torchReconstructors() });
  const d = value as PyDict;
  assert.equal(d.get('key'), true);
  assert.equal(d.get('n'), 12345678901234567890n);
  assert.equal(d.get('esc'), 'aA\n');
  assert.equal(d.get('unié'), 2.5);
  assert.equal(d.get('inf'), -Infinity);
  const o = d.get('obj') as PyObject;
  assert.equal(o.className, '__main__.Old');
  assert.deepEqual(plain(o.state as PyValue), { dict: [['x', 3]] });
});

test('os.system reduce stays an inert placeholder and is flagged', { skip: !hasPython && `${PY} missing` }, () => {
  const marker = '/tmp/PWNED_BY_TENSORSCOPE_PICKLE_TEST';
  rmSync(marker, { force: true });
  const data = py(`
import pickle, os, sys
class Evil:
    def __reduce__(self): return (os.system, ('touch ${marker}',))
sys.stdout.buffer.write(pickle.dumps({'x': Evil()}, protocol=2))`);
  const { value, globals } = unpickle(data, { reconstructors: torchReconstructors() });
  const x = (value as PyDict).get('x') as PyObject;
  assert.ok(x instanceof PyObject);
  assert.match(x.className, /^(posix|os|nt)\.system$/);
  assert.deepEqual(x.args, [`touch ${marker}`]);
  assert.ok(globals.some((g) => /system$/.test(g.name) && g.unsafe));
  assert.equal(existsSync(marker), false);
});

test('every truncation of a pickle fails cleanly', { skip: !hasPython && `${PY} missing` }, () => {
  const data = py(SAMPLE.replace('PROTO', '4'));
  for (let n = 0; n < data.length; n++) {
    assert.throws(() => unpickle(data.subarray(0, n), { reconstructors: torchReconstructors() }), UnreadableError, `prefix ${n}`);
  }
});

test('random bytes never crash the machine', () => {
  let seed = 12345;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  const ops = [0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x5d, 0x7d, 0x29, 0x61, 0x65, 0x73, 0x75, 0x74, 0x52, 0x62, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x94, 0x68, 0x71, 0x4b, 0x8c, 0x58, 0x93, 0x8f, 0x90];
  for (let i = 0; i < 3000; i++) {
    const len = 2 + Math.floor(rand() * 60);
    const buf = new Uint8Array(len);
    buf[0] = 0x80; buf[1] = 4;
    for (let j = 2; j < len; j++) buf[j] = rand() < 0.7 ? ops[Math.floor(rand() * ops.length)] : Math.floor(rand() * 256);
    try {
      const r = unpickle(buf, { reconstructors: torchReconstructors() });
      nameTensors(r.value);
    } catch (err) {
      assert.ok(err instanceof UnreadableError, `case ${i}: ${String(err)}`);
    }
  }
});

test('length claims beyond the data, oversized longs and the op limit fail fast', () => {
  // BINUNICODE claiming 4 GiB
  assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0xff, 0x61])), /truncated|exceeds the limit/);
  // BINBYTES8 claiming 2^60
  assert.throws(() => unpickle(Uint8Array.from([0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x2e])), UnreadableError);
  // LONG4 of 1 GiB
  assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x8b, 0, 0, 0, 0x40, 0x2e])), /exceeds the limit|truncated/);
  // op limit
  const many = new Uint8Array(1000).fill(0x4e);
  many[0] = 0x80; many[1] = 2; many[999] = 0x2e;
  assert.throws(() => unpickle(many, { limits: { maxOps: 100 } }), /operation limit/);
  // memo limit
  const memo = Buffer.concat([Buffer.from([0x80, 4, 0x4e]), Buffer.alloc(50, 0x94), Buffer.from([0x2e])]);
  assert.throws(() => unpickle(memo, { limits: { maxMemo: 10 } }), /memo too large/);
  // unknown opcode, bad protocol, missing memo key
  assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0xff])), /unknown pickle opcode/);
  assert.throws(() => unpickle(Uint8Array.from([0x80, 9, 0x4e, 0x2e])), /protocol 9/);
  assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x68, 5, 0x2e])), /memo key 5/);
});

test('deep nesting and self-referencing containers stay bounded', () => {
  // 50k nested lists: [[[[...]]]] (deeper is refused: see core-pickle-nesting.test.ts)
  const depth = 50_000;
  const parts: number[] = [0x80, 2];
  for (let i = 0; i < depth; i++) parts.push(0x5d); // EMPTY_LIST
  for (let i = 0; i < depth - 1; i++) parts.push(0x61); // APPEND
  parts.push(0x2e);
  const deep = unpickle(Uint8Array.from(parts));
  const named = nameTensors(deep.value);
  assert.equal(named.tensors.length, 0);
  assert.ok(JSON.stringify(named.content).length < 10_000);
  // a list that holds itself, and a dict that holds itself next to a tensor
  const self = unpickle(Uint8Array.from([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]));
  const arr = self.value as PyValue[];
  assert.equal(arr[0], arr);
  assert.equal(nameTensors(self.value).tensors.length, 0);
  assert.ok(JSON.stringify(nameTensors(self.value).content).includes('$cycle'));
  const storage = new TorchStorage('data/0', 'float32', 'cpu', 8);
  const t = new TorchTensor('float32', [2], [1], 0, storage, 'cpu');
  const d = new PyDict();
  d.set('w', t);
  d.set('me', d);
  const nt = nameTensors(d);
  assert.deepEqual(nt.tensors.map((x) => x.name), ['w']);
});

test('exponential sharing of one sub-tree is cut off, not walked 2^60 times', () => {
  const storage = new TorchStorage('data/0', 'float32', 'cpu', 8);
  let v: PyValue = new TorchTensor('float32', [2], [1], 0, storage, 'cpu');
  for (let i = 0; i < 60; i++) v = [v, v];
  const named = nameTensors(v);
  assert.ok(named.truncated);
  assert.ok(named.tensors.length <= 64);
});
