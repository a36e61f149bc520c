/**
 * Compare on training checkpoints, against what torch's load_state_dict reports (test/fixtures/make_train_fixtures.py):
 * the state dict found inside each file, wrapper prefixes aligned, training state left out, value differences.
 * Then the CLI's --json, --a-key and --strip, and the shared corpus's DDP, Lightning and training files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import type { CheckpointDiff, DiffOptions } from '../../src/compute/diffValues';
import { diffCheckpoints } from '../../src/compute/diffValues';
import { corpusDir, corpusMissing, ensureTrainFixtures, readTrainTruth, trainFixtureDir } from '../trainFixtures';

const RTOL = 1e-4;
const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

async function diffFiles(a: string, b: string, opts: DiffOptions = {}): Promise<CheckpointDiff> {
  const ca = await openCheckpoint(a);
  const cb = await openCheckpoint(b);
  try {
    return await diffCheckpoints(ca, cb, ['cpu'], opts);
  } finally {
    await ca.close();
    await cb.close();
  }
}

test('held-out pairs report as load_state_dict does, with torch\'s value differences', async (t) => {
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  for (const p of readTrainTruth().pairs) {
    await t.test(p.name, async () => {
      const d = await diffFiles(path.join(trainFixtureDir, p.a), path.join(trainFixtureDir, p.b));
      assert.equal(d.choice.a.key, p.a_key);
      assert.equal(d.choice.b.key, p.b_key);
      assert.equal(d.choice.a.removed, p.a_removed);
      assert.equal(d.choice.b.removed, p.b_removed);
      assert.deepEqual([...d.missing].sort(), [...p.missing].sort());
      assert.deepEqual([...d.unexpected].sort(), [...p.unexpected].sort());
      assert.deepEqual(d.shapeMismatch.map((s) => s.message), p.size_mismatch);
      assert.deepEqual(d.dtypeMismatch.map((s) => s.key), p.dtype_mismatch);
      assert.equal(d.strictOk, p.missing.length + p.unexpected.length + p.size_mismatch.length === 0);
      const rows = new Map(d.tensors.map((r) => [r.key, r]));
      assert.equal(rows.size, Object.keys(p.values).length);
      for (const [key, want] of Object.entries(p.values)) {
        const got = rows.get(key);
        assert.ok(got, `no row for ${key}`);
        for (const m of ['max_abs_diff', 'mae', 'cosine'] as const) {
          const g = got[m] as number;
          assert.ok(Math.abs(g - want[m]) <= RTOL * Math.abs(want[m]) + 1e-6, `${key} ${m}: ${g} vs torch ${want[m]}`);
        }
      }
    });
  }
});

test('the choice is said in words, and optimizer/scheduler state is left out', async (t) => {
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  const d = await diffFiles(path.join(trainFixtureDir, 'last.ckpt'), path.join(trainFixtureDir, 'ddp.pt'));
  assert.match(d.choice.a.text, /^state dict at `state_dict` \(11 tensors\), prefix `model\.` removed; left out: callback state \(1\), optimizer state \(18\)$/);
  assert.equal(d.choice.b.text, 'state dict at the top level (11 tensors), prefix `module.` removed');
  assert.deepEqual(d.choice.a.sections.map((s) => s.key), ['', 'state_dict']);
});

test('cli diff: --json, --a-key and --strip override the choice', async (t) => {
  if (!existsSync(cli)) { t.skip('dist/cli.js is not built (node scripts/build.mjs)'); return; }
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'diff', ...args, '--ep', 'cpu'], { encoding: 'utf8' });
  const f = (n: string) => path.join(trainFixtureDir, n);
  const j = run(f('train.pth'), f('tuned_sd.pt'), '--json');
  assert.equal(j.status, 0, j.stderr);
  const d = JSON.parse(j.stdout) as CheckpointDiff;
  assert.equal(d.choice.a.key, 'model');
  assert.equal(d.strictOk, true);
  const text = run(f('last.ckpt'), f('ddp.pt'));
  assert.match(text.stdout, /^A: state dict at `state_dict` \(11 tensors\), prefix `model\.` removed; left out: .*\nB: state dict at the top level \(11 tensors\), prefix `module\.` removed\nload_state_dict\(strict=True\) would succeed\n/);
  // nothing stripped: every key is missing and unexpected, as torch would say of the raw dicts
  const raw = JSON.parse(run(f('last.ckpt'), f('ddp.pt'), '--strip', 'none', '--json').stdout) as CheckpointDiff;
  assert.equal(raw.missing.length, 11);
  assert.ok(raw.missing.every((k) => k.startsWith('model.')));
  const perSide = JSON.parse(run(f('last.ckpt'), f('ddp.pt'), '--a-strip', 'model', '--b-strip', 'module.', '--json').stdout) as CheckpointDiff;
  assert.equal(perSide.strictOk, true);
  const bad = run(f('train.pth'), f('tuned_sd.pt'), '--a-key', 'teacher');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /no tensors under 'teacher'/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  const top = JSON.parse(run(f('train.pth'), f('tuned_sd.pt'), '--a-key', '', '--json').stdout) as CheckpointDiff;
  assert.equal(top.choice.a.key, '');
  // the whole file as the model: its `model.` keys and best_acc1 are missing (best_acc1 blocks the prefix)
  assert.equal(top.missing.length, 12);
  assert.ok(top.missing.every((k) => k.startsWith('model.') || k === 'best_acc1'));
  assert.equal(top.unexpected.length, 11);
});

test('shared corpus: Lightning, DDP and training checkpoints of torch 2.11', async (t) => {
  if (corpusMissing) { t.skip(corpusMissing); return; }
  const c = (n: string) => path.join(corpusDir, 'torch2.11', n);
  const ddp = await diffFiles(c('train_ckpt.pth'), c('ddp_rank0.pt'));
  assert.equal(ddp.choice.a.key, 'model');
  assert.equal(ddp.choice.b.key, 'model');
  assert.equal(ddp.choice.b.removed, 'module.');
  assert.ok(ddp.strictOk);
  assert.equal(ddp.tensors.length, 15);
  assert.ok(ddp.choice.a.leftOut.some((l) => l.kind === 'optimizer'));
  const dp = await diffFiles(c('whole_model.pt'), c('dataparallel.pth'));
  assert.equal(dp.choice.a.key, '');
  assert.equal(dp.choice.b.removed, 'module.');
  assert.ok(dp.strictOk);
  const light = await diffFiles(c('lightning.ckpt'), c('lightning.ckpt'));
  assert.equal(light.choice.a.key, 'state_dict');
  assert.ok(light.strictOk);
  for (const r of light.tensors) {
    assert.equal(r.max_abs_diff, 0);
    assert.equal(r.cosine !== null && Math.abs(r.cosine - 1) < 1e-6, true, `${r.key} cosine ${r.cosine}`);
  }
  const real = path.join(corpusDir, 'realworld', 'LucasUnizar__DeepONets-Lightning__DeepONet-RD-epoch=2953-val_loss=0.00.ckpt');
  const deep = await diffFiles(real, real);
  assert.equal(deep.choice.a.key, 'state_dict');
  assert.equal(deep.tensors.length, 21);
  assert.ok(deep.choice.a.leftOut.some((l) => l.kind === 'callbacks'));
});
