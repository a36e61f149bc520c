import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSummary, looksLikeParameter } from '../../src/shared/summary';
import { mapOptimizerParams, findOptimizers } from '../../src/shared/content';
import { sampleCheckpoint, tensor, f32Storage } from './ext-fixtures';
import type { Checkpoint } from '../../src/core/model';

test('summary: counts, parameters, bytes by dtype and device', () => {
  const s = computeSummary(sampleCheckpoint());
  assert.equal(s.tensorCount, 7);
  assert.equal(s.storageCount, 5);
  assert.equal(s.fileName, 'sample.pt');
  // parameters: conv.weight 24 + conv.bias 2 + fc.weight 12 + fc_t 12 + <img…> 2; not running_mean, not optimizer state
  assert.equal(s.parameterCount, 52);
  assert.equal(s.elementCount, 24 + 2 + 2 + 12 + 12 + 24 + 2);
  assert.deepEqual(s.byDtype, [{ key: 'float32', tensors: 7, bytes: 96 + 8 + 48 + 8 + 96 }]);
  assert.equal(s.warnings.length, 0);
  assert.ok(!looksLikeParameter({ name: 'optimizer_states.0.state.1.exp_avg', dtype: 'float32' }));
  assert.ok(!looksLikeParameter({ name: 'layer1.0.bn1.num_batches_tracked', dtype: 'int64' }));
});

test('summary warnings: unsafe globals, module. prefix, CUDA storages, wasted view bytes', () => {
  const big = f32Storage('data/0', Array.from({ length: 100 }, (_, i) => i), 'cuda:0');
  const cp: Checkpoint = {
    ...sampleCheckpoint(),
    tensors: [
      tensor('module.fc.weight', [2, 5], big, { storageOffset: 10 }),
      tensor('module.fc.bias', [2], f32Storage('data/1', [1, 2])),
    ],
    globals: [{ name: 'numpy.core.multiarray._reconstruct', count: 1, unsafe: true }, { name: 'collections.OrderedDict', count: 1, unsafe: false }],
    warnings: ['a reader note'],
  };
  const s = computeSummary(cp);
  const kinds = s.warnings.map((w) => w.kind).sort();
  assert.deepEqual(kinds, ['cuda', 'module-prefix', 'reader', 'unsafe-globals', 'wasted-bytes']);
  const wasted = s.warnings.find((w) => w.kind === 'wasted-bytes');
  assert.ok(wasted?.text.startsWith('360 bytes'), wasted?.text); // 100 floats stored, 10 used
  assert.ok(s.warnings.find((w) => w.kind === 'unsafe-globals')?.text.includes('numpy.core.multiarray._reconstruct'));
  assert.deepEqual(s.byDevice.map((d) => d.key), ['cuda:0', 'cpu']);
});

test('optimizer state entries map to parameter names by order', () => {
  const cp = sampleCheckpoint();
  assert.deepEqual(findOptimizers(cp.content).map((o) => o.path), ['optimizer']);
  const maps = mapOptimizerParams(cp.content, cp.tensors.map((t) => t.name));
  assert.equal(maps.length, 1);
  assert.equal(maps[0].modelPrefix, 'model');
  assert.equal(maps[0].names['0'], 'model.conv.weight');
  assert.equal(maps[0].names['1'], 'model.conv.bias');
  assert.equal(maps[0].names['2'], 'model.fc.weight');
  assert.equal(maps[0].exact, false); // 3 ids, but the model has 4 parameter-like tensors (fc_t)
});

test('Lightning layout: state_dict + optimizer_states list', () => {
  const content = {
    epoch: 1,
    state_dict: { 'net.w': { $tensor: 'state_dict.net.w' } },
    optimizer_states: [{ state: {}, param_groups: [{ params: [0, 1] }] }],
  };
  const maps = mapOptimizerParams(content, ['state_dict.net.w', 'state_dict.net.b', 'state_dict.bn.running_var']);
  assert.equal(maps[0].path, 'optimizer_states.0');
  assert.deepEqual(maps[0].names, { 0: 'state_dict.net.w', 1: 'state_dict.net.b' });
  assert.equal(maps[0].exact, true);
});

test('content is bounded before it travels to the webview', async () => {
  const { boundContent } = await import('../../src/shared/content');
  const big: Record<string, { $tensor: string }> = {};
  for (let i = 0; i < 2000; i++) big[`t${i}`] = { $tensor: `t${i}` };
  const b = boundContent({ epoch: 1, sd: big, list: Array.from({ length: 1000 }, (_, i) => i) }, 500) as Record<string, unknown>;
  const sd = b.sd as Record<string, unknown>;
  assert.equal(Object.keys(sd).length, 501);
  assert.equal(sd.$more, 1500);
  const list = b.list as unknown[];
  assert.equal(list.length, 501);
  assert.deepEqual(list[500], { $more: 500 });
  assert.equal(b.epoch, 1);
});
