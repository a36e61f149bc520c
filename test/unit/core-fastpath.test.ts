// The listing fast path (issue #2 benchmark): the reworked pickle machine and dict keys keep Python's
// semantics, files no reader takes get one clear line from sniff, file regions say they read fresh
// memory, and the CLI loader's V8 code cache gives the same output as a normal compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unpickle, PyDict, PyTuple } from '../../src/core/pickle/index';
import { openCheckpoint } from '../../src/core/open';
import { MemoryFile, SharedFile, fileRegion, lazyFileRegion, subSource } from '../../src/core/byteSource';

const repoRoot = path.resolve(__dirname, '..', '..');

test('dict keys compare as in Python: 1 == 1.0 == True == 1n, None, NaN, big ints, strings apart from numbers', () => {
  const d = new PyDict();
  d.set(1, 'a');
  d.set(1.0, 'b');
  d.set(true, 'c');
  d.set(1n, 'c');
  d.set('1', 'd');
  d.set(null, 'e');
  d.set(null, 'f');
  d.set(NaN, 'g');
  d.set(NaN, 'h');
  d.set(2n ** 60n, 'i');
  d.set(2n ** 60n, 'j');
  d.set(0, 'k');
  d.set(-0, 'l');
  d.set(false, 'm');
  d.set(new PyTuple([1]), 'n');
  d.set(new PyTuple([1]), 'o'); // tuples are never merged here
  assert.deepEqual(d.keys.length, 8);
  assert.equal(d.get(1), 'c');
  assert.equal(d.get('1'), 'd');
  assert.equal(d.get(0), 'm');
  assert.equal(d.has(2), false);
  assert.deepEqual(d.values, ['c', 'd', 'f', 'h', 'j', 'm', 'n', 'o']);
  assert.equal(d.keys[4], 2n ** 60n);
});

test('memo: sparse LONG_BINPUT indices, MEMOIZE after puts, BINGET of every kind', () => {
  // PROTO 4, 'x' LONG_BINPUT 1e9, POP, 'y' MEMOIZE (index 1: one key so far), POP,
  // MARK LONG_BINGET 1e9, BINGET 1, EMPTY_LIST MEMOIZE (index 2) BINGET 2, TUPLE, STOP
  const big = Buffer.alloc(4); big.writeUInt32LE(1e9);
  const bytes = Buffer.concat([
    Buffer.from([0x80, 4, 0x8c, 1, 0x78, 0x72]), big, Buffer.from([0x30]),
    Buffer.from([0x8c, 1, 0x79, 0x94, 0x30]),
    Buffer.from([0x28, 0x6a]), big, Buffer.from([0x68, 1, 0x5d, 0x94, 0x68, 2, 0x74, 0x2e]),
  ]);
  const { value } = unpickle(bytes);
  assert.ok(value instanceof PyTuple);
  const items = (value as PyTuple).items;
  assert.equal(items[0], 'x');
  assert.equal(items[1], 'y');
  assert.ok(Array.isArray(items[2]) && items[2] === items[3], 'a memoized list is the same object when fetched');
  assert.throws(() => unpickle(Buffer.from([0x80, 2, 0x68, 7, 0x2e])), /memo key 7 missing/);
});

test('LIST / TUPLE / FROZENSET after MARK land on the outer stack (protocol 1 shapes)', () => {
  // MARK MARK K1 K2 LIST MARK K3 TUPLE TUPLE STOP → ([1, 2], (3,))
  const { value } = unpickle(Buffer.from([0x28, 0x28, 0x4b, 1, 0x4b, 2, 0x6c, 0x28, 0x4b, 3, 0x74, 0x74, 0x2e]));
  assert.ok(value instanceof PyTuple);
  const [list, tuple] = (value as PyTuple).items;
  assert.deepEqual(list, [1, 2]);
  assert.ok(tuple instanceof PyTuple && tuple.items[0] === 3);
});

test('a Lua Torch7 file gets one clear line naming it; text and empty files too', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-fast-'));
  try {
    const t7 = path.join(dir, 'model.t7');
    writeFileSync(t7, Buffer.from([4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x20]));
    await assert.rejects(openCheckpoint(t7), (err: Error) => /Lua Torch7/.test(err.message) && !err.message.includes('\n'));
    const txt = path.join(dir, 'notes.pt');
    writeFileSync(txt, 'just some notes\n');
    await assert.rejects(openCheckpoint(txt), /text file/);
    const empty = path.join(dir, 'empty.pt');
    writeFileSync(empty, '');
    await assert.rejects(openCheckpoint(empty), /empty file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const real = path.resolve(repoRoot, '..', 'shared', 'corpus', 'realworld', 'aghagol__minimal_rnntracking_deploy__rnnTracker_r300_l1_n1_m1_d4.t7');
  if (existsSync(real)) await assert.rejects(openCheckpoint(real), /Lua Torch7/);
});

test('file regions over a real file read fresh memory; over memory they do not', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-fast-'));
  const p = path.join(dir, 'bytes.bin');
  writeFileSync(p, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  const file = await SharedFile.open(p);
  try {
    const region = fileRegion(file, 2, 4);
    const lazy = lazyFileRegion(file, () => Promise.resolve(4), 4, () => 'lazy region');
    assert.equal(region.readsFresh, true);
    assert.equal(lazy.readsFresh, true);
    assert.equal(subSource(region, 1, 2).readsFresh, true);
    assert.deepEqual([...await region.read(0, 4)], [3, 4, 5, 6]);
    assert.deepEqual([...await lazy.read(1, 10)], [6, 7, 8]);
    assert.equal(lazy.describe(), 'lazy region');
    const mem = new MemoryFile(new Uint8Array([9, 9, 9]), 'mem');
    assert.equal(fileRegion(mem, 0, 3).readsFresh, false);
    assert.equal(lazyFileRegion(mem, () => Promise.resolve(0), 3, 'm').readsFresh, false);
  } finally {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dist/cli.js (loader + V8 code cache) prints the same listing with and without its cache', (t) => {
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  const fixture = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11', 'views.pt');
  if (!existsSync(path.join(repoRoot, 'dist', 'cliMain.js'))) { t.skip('dist/cliMain.js is not built (node scripts/build.mjs)'); return; }
  if (!existsSync(fixture)) { t.skip('../shared/corpus is absent'); return; }
  const cache = mkdtempSync(path.join(tmpdir(), 'ts-cache-'));
  try {
    const run = (env: Record<string, string>) => spawnSync(process.execPath, [cli, 'inspect', fixture, '--json'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const plain = run({ TENSORSCOPE_NO_CODE_CACHE: '1' });
    assert.equal(plain.status, 0, plain.stderr);
    const first = run({ XDG_CACHE_HOME: cache });
    const files = readdirSync(path.join(cache, 'tensorscope'));
    assert.equal(files.filter((f) => f.endsWith('.v8cache')).length, 1, `one cache file: ${files.join(', ')}`);
    const second = run({ XDG_CACHE_HOME: cache });
    assert.equal(first.stdout, plain.stdout);
    assert.equal(second.stdout, plain.stdout);
    assert.equal(second.status, 0, second.stderr);
    // a corrupt cache is rejected by V8 and rewritten; the output stays the same
    const cacheFile = path.join(cache, 'tensorscope', files.find((f) => f.endsWith('.v8cache')) as string);
    writeFileSync(cacheFile, Buffer.alloc(4096, 7));
    const bad = run({ XDG_CACHE_HOME: cache });
    assert.equal(bad.status, 0, bad.stderr);
    assert.equal(bad.stdout, plain.stdout);
    assert.notEqual(readFileSync(cacheFile)[0], 7, 'the rejected cache was rewritten');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
