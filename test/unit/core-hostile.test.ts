// Hostile checkpoints: pickles that run os.system under torch.load must be listed, flagged, and never run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { UnreadableError } from '../../src/core/model';

const repoRoot = path.resolve(__dirname, '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11');
const PWNED = '/tmp/PWNED_BY_CHECKPOINT';
const PY = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const cache = path.join(repoRoot, '.cache', 'fixtures', 'hostile');

before(() => rmSync(PWNED, { force: true }));

test('evil.pt from the corpus lists its tensor and flags os.system', { skip: !existsSync(path.join(corpus, 'evil.pt')) && 'corpus absent' }, async () => {
  const ck = await openCheckpoint(path.join(corpus, 'evil.pt'));
  try {
    assert.deepEqual(ck.tensors.map((t) => t.name), ['w']);
    assert.ok(ck.globals.some((g) => /system$/.test(g.name) && g.unsafe));
    assert.ok(ck.warnings.some((w) => /would run code/.test(w)));
  } finally {
    await ck.close();
  }
  assert.equal(existsSync(PWNED), false);
});

test('evil_reduce.pkl (corpus, or made here) opens or fails cleanly and never runs', async (t) => {
  let p = path.join(corpus, 'evil_reduce.pkl');
  if (!existsSync(p)) {
    if (!existsSync(PY)) { t.skip('no evil_reduce.pkl and no python'); return; }
    mkdirSync(cache, { recursive: true });
    p = path.join(cache, 'evil_reduce.pkl');
    writeFileSync(p, execFileSync(PY, ['-c', `
import pickle, os, sys
class E:
    def __reduce__(self): return (os.system, ('touch ${PWNED}',))
sys.stdout.buffer.write(pickle.dumps({'payload': E(), 'n': 1}, protocol=2))`]));
  }
  try {
    const ck = await openCheckpoint(p);
    assert.equal(ck.tensors.length, 0);
    await ck.close();
  } catch (err) {
    assert.ok(err instanceof UnreadableError, String(err));
  }
  assert.equal(existsSync(PWNED), false);
});

test('a torch.save zip whose data.pkl calls os.system (made with real torch) is listed, not run', { skip: !existsSync(PY) && 'no python' }, async () => {
  mkdirSync(cache, { recursive: true });
  const p = path.join(cache, 'evil_torch.pt');
  try {
    execFileSync(PY, ['-c', `
import torch, os
class E:
    def __reduce__(self): return (os.system, ('touch ${PWNED}',))
torch.save({'w': torch.ones(2), 'x': E()}, ${JSON.stringify(p)})`], { stdio: 'ignore' });
  } catch {
    return; // torch missing: the corpus test above covers the case
  }
  rmSync(PWNED, { force: true });
  const ck = await openCheckpoint(p);
  try {
    assert.deepEqual(ck.tensors.map((t) => t.name), ['w']);
    assert.ok(ck.warnings.some((w) => /weights_only=True/.test(w)));
    assert.deepEqual((ck.content as { x: { $class: string } }).x.$class.replace(/^posix|^nt/, 'os'), 'os.system');
  } finally {
    await ck.close();
  }
  assert.equal(existsSync(PWNED), false);
});
