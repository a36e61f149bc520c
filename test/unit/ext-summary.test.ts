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
  // parameters: the state dict at `model`: conv.weight 24 + conv.bias 2 + fc.weight 12 + fc_t 12; not running_mean,
  // not optimizer state, not the tensor beside the model
  assert.equal(s.parameterCount, 50);
  assert.deepEqual(s.notParameters.map((r) => [r.what, r.tensors, r.elements]), [['buffers', 1, 2], ['optimizer state', 1, 24], ['`<img src=x onerror=alert(1)>`', 1, 2]]);
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
    // the reader's own notes on the same two facts (src/core/naming.ts) are said once, by the summary
    warnings: ['a reader note', "2 of 2 tensor names carry the 'module.' prefix of DataParallel/DistributedDataParallel; strip it before load_state_dict into a plain model", "1 storage was saved from cuda:0; torch.load needs map_location='cpu' on a machine without that GPU"],
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
  const maps = mapOptimizerParams(cp.content, cp.tensors);
  assert.equal(maps.length, 1);
  assert.equal(maps[0].modelPrefix, 'model');
  assert.equal(maps[0].names['0'], 'model.conv.weight');
  assert.equal(maps[0].names['1'], 'model.conv.bias');
  assert.equal(maps[0].names['2'], 'model.fc.weight');
  assert.equal(maps[0].exact, false); // only id 0 has state to check a shape against
});

test('Lightning layout: state_dict + optimizer_states list', () => {
  const content = {
    epoch: 1,
    state_dict: { 'net.w': { $tensor: 'state_dict.net.w' } },
    optimizer_states: [{ state: {}, param_groups: [{ params: [0, 1] }] }],
  };
  const t = (name: string) => ({ name, dtype: 'float32' as const, shape: [2] });
  const maps = mapOptimizerParams(content, [t('state_dict.net.w'), t('state_dict.net.b'), t('state_dict.bn.running_var')]);
  assert.equal(maps[0].path, 'optimizer_states.0');
  assert.deepEqual(maps[0].names, { 0: 'state_dict.net.w', 1: 'state_dict.net.b' });
  assert.equal(maps[0].exact, false); // no state: no shape confirms the order
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

test('summary: a training checkpoint counts what model.parameters() counts, and names the rest', () => {
  const st = (n: number) => f32Storage(`s${n}`, Array.from({ length: n }, () => 1));
  const cp: Checkpoint = {
    ...sampleCheckpoint(),
    tensors: [
      tensor('state_dict.conv.weight', [2, 3], st(6)), tensor('state_dict.bn.running_var', [2], st(2)),
      tensor('state_dict.bn.num_batches_tracked', [], null, { dtype: 'int64' }),
      tensor('best_acc1', [], st(1)), tensor('optimizer.state.0.exp_avg', [2, 3], st(6)),
    ],
    content: { state_dict: { 'conv.weight': { $tensor: 'state_dict.conv.weight' } }, best_acc1: { $tensor: 'best_acc1' }, optimizer: { state: {}, param_groups: [] } },
  };
  const s = computeSummary(cp);
  assert.equal(s.parameterCount, 6);
  assert.deepEqual(s.notParameters.map((r) => [r.what, r.tensors, r.elements]), [['buffers', 2, 3], ['`best_acc1`', 1, 1], ['optimizer state', 1, 6]]);
});

test('summary: a file that records its parameters (pickled module, TorchScript) counts those only', () => {
  const cp: Checkpoint = {
    ...sampleCheckpoint(),
    format: 'torchscript',
    tensors: [tensor('lin.weight', [4, 2], null, { isParameter: true }), tensor('stft.forward_basis_buffer', [3, 5], null)],
    content: { $class: '__torch__.Net', state_dict: {} },
    globals: [{ name: '__torch__.Net', count: 1, unsafe: true }, { name: 'torch.jit._pickle.build_intlist', count: 2, unsafe: true }, { name: 'os.system', count: 1, unsafe: true }],
  };
  const s = computeSummary(cp);
  assert.equal(s.parameterCount, 8);
  assert.deepEqual(s.notParameters.map((r) => [r.what, r.elements]), [['buffers', 15]]);
  const ts = s.warnings.find((w) => w.kind === 'torchscript');
  assert.match(ts?.text ?? '', /torch\.jit\.load\(path\).*Its 2 globals are TorchScript's own/);
  const unsafe = s.warnings.find((w) => w.kind === 'unsafe-globals');
  assert.match(unsafe?.text ?? '', /outside TorchScript's own: torch\.jit\.load would resolve 1 global \(os\.system\)/);
  assert.deepEqual(s.globals.map((g) => g.own === true), [true, true, false]);
});
