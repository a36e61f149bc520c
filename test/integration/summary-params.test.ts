/**
 * The summary's parameter count against torch's `sum(p.numel() for p in model.parameters())`: the fixture's
 * training checkpoint (a `best_acc1` scalar and optimizer state beside the model, buffers in it) and the
 * shared corpus's TorchScript files (buffers the file declares), counted by real torch at test time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { computeSummary } from '../../src/shared/summary';
import { corpusDir, corpusMissing, ensureTrainFixtures, readTrainTruth, trainFixtureDir } from '../trainFixtures';

const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

async function summaryOf(file: string) {
  const cp = await openCheckpoint(file);
  try { return computeSummary(cp); } finally { await cp.close(); }
}

test('training checkpoint: parameters as torch counts them; best_acc1, buffers and optimizer state named apart', async (t) => {
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  const truth = readTrainTruth().params;
  const s = await summaryOf(path.join(trainFixtureDir, truth.file));
  assert.equal(s.parameterCount, truth.count);
  const rest = new Map(s.notParameters.map((r) => [r.what, r]));
  assert.equal(rest.get('`best_acc1`')?.elements, 1);
  assert.ok(rest.get('optimizer state'));
  // mask [4], kernel_size [3], running_mean/var [8]+[8], num_batches_tracked []
  assert.equal(rest.get('buffers')?.elements, 4 + 3 + 8 + 8 + 1);
});

test('TorchScript: declared parameters only, as torch.jit.load(path).parameters()', async (t) => {
  if (corpusMissing) { t.skip(corpusMissing); return; }
  const files = [path.join(corpusDir, 'torch2.11', 'scripted.pt'), path.join(corpusDir, 'realworld', 'snakers4__silero-vad__silero_vad.jit')];
  const r = spawnSync(py, ['-c', 'import sys, torch\nfor f in sys.argv[1:]: print(sum(p.numel() for p in torch.jit.load(f, map_location="cpu").parameters()))', ...files], { encoding: 'utf8' });
  if (r.status !== 0) { t.skip(`torch could not load the TorchScript files: ${r.stderr.split('\n').slice(-2).join(' ')}`); return; }
  const want = r.stdout.trim().split('\n').map(Number);
  for (let i = 0; i < files.length; i++) {
    const s = await summaryOf(files[i]);
    assert.equal(s.parameterCount, want[i], files[i]);
    assert.ok(s.warnings.some((w) => w.kind === 'torchscript' && w.text.includes('torch.jit.load')));
    assert.ok(!s.warnings.some((w) => w.kind === 'unsafe-globals'), `${files[i]}: its own globals flagged`);
  }
});
