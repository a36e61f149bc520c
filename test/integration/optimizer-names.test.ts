/**
 * Optimizer state labelled by parameter on files torch made: the fixture's Lightning checkpoint (an int64
 * buffer `conv1.kernel_size` and a float buffer before the parameters), checked against torch's own
 * `named_parameters()` order, and the shared corpus's Lightning and training checkpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { mapOptimizerParams, optimizerAliases } from '../../src/shared/content';
import { corpusDir, corpusMissing, ensureTrainFixtures, readTrainTruth, trainFixtureDir } from '../trainFixtures';

async function mapsOf(file: string) {
  const cp = await openCheckpoint(file);
  try {
    const maps = mapOptimizerParams(cp.content, cp.tensors);
    return { maps, aliases: optimizerAliases(maps, cp.tensors.map((t) => t.name)) };
  } finally {
    await cp.close();
  }
}

test('fixture: optimizer ids are the parameters torch lists, buffers skipped', async (t) => {
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  const truth = readTrainTruth().optimizer;
  const { maps, aliases } = await mapsOf(path.join(trainFixtureDir, truth.file));
  const m = maps.find((x) => x.path === truth.path);
  assert.ok(m);
  assert.equal(m.exact, true);
  const got = Object.fromEntries(Object.entries(m.names).map(([id, n]) => [id, n.replace(/^state_dict\.model\./, '')]));
  assert.deepEqual(got, truth.names);
  assert.equal(aliases.get('optimizer_states.0.state.0.exp_avg'), 'optimizer_states.0.state[model.conv1.lin.weight].exp_avg');
});

test('corpus: Lightning and training checkpoints of torch 2.11 and a real Lightning file', async (t) => {
  if (corpusMissing) { t.skip(corpusMissing); return; }
  const light = await mapsOf(path.join(corpusDir, 'torch2.11', 'lightning.ckpt'));
  assert.equal(light.maps[0].exact, true);
  assert.equal(light.maps[0].names['2'], 'state_dict.net.2.weight');
  const train = await mapsOf(path.join(corpusDir, 'torch2.11', 'train_ckpt.pth'));
  // model.temperature (a 0-d tensor without state) is not parameter 0: the Adam state of 0 is [6, 3, 3, 3]
  assert.equal(train.maps[0].names['0'], 'model.stem.0.weight');
  assert.equal(train.maps[0].exact, true);
  assert.equal(train.aliases.get('optim.state.4.exp_avg'), 'optim.state[blocks.0.weight].exp_avg');
  const real = await mapsOf(path.join(corpusDir, 'realworld', 'LucasUnizar__DeepONets-Lightning__DeepONet-RD-epoch=2953-val_loss=0.00.ckpt'));
  assert.equal(real.maps[0].exact, true);
  assert.equal(real.maps[0].names['1'], 'state_dict.branch.0.weight');
  assert.equal(real.aliases.get('optimizer_states.0.state.11.exp_avg'), 'optimizer_states.0.state[trunk.0.weight].exp_avg');
});
