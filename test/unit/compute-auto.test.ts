/** The pure parts of `auto` and of provider probing: plans, decisions and their reasons, error prefixes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { autoKey, decide, planAuto, sizeClass } from '../../src/compute/autoChoice';
import { forgetChoices, setChoiceStoreDir, storeChoice } from '../../src/compute/choiceStore';
import { opError } from '../../src/compute/opError';
import { probeWebgpu } from '../../src/compute/providerProbe';

setChoiceStoreDir(null);

test('size classes group inputs by powers of 4', () => {
  assert.equal(sizeClass(1 << 16), 8);
  assert.equal(sizeClass((1 << 18) - 1), 8);
  assert.equal(sizeClass(1 << 18), 9);
  assert.equal(autoKey({ op: 'bmm', dtype: 'float32', numel: 1 << 20 }), 'bmm|float32|4^10');
});

test('auto plans: only cpu, small inputs, first run, stored choice', () => {
  forgetChoices();
  const big = { op: 'bmm', dtype: 'float32', numel: 1 << 20 };
  assert.deepEqual(planAuto(big, ['cpu']), { provider: 'cpu', reason: 'cpu: the only provider available on this machine', measure: null, key: 'bmm|float32|4^10' });
  const small = planAuto({ ...big, numel: 100 }, ['webgpu', 'cpu']);
  assert.equal(small.provider, 'cpu');
  assert.match(small.reason, /^cpu: a small input \(100 elements; auto times the other providers from \d+\)$/);
  assert.equal(small.measure, null);
  const first = planAuto(big, ['cuda', 'webgpu', 'cpu']);
  assert.equal(first.provider, 'cpu');
  assert.deepEqual(first.measure, ['cuda', 'webgpu', 'cpu']);
  assert.equal(first.reason, 'cpu: first run of bmm at this size; timing cuda and webgpu in the background');
  storeChoice(first.key, decide('bmm', { cuda: 2, webgpu: 9, cpu: 6.2 }));
  const later = planAuto(big, ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual([later.provider, later.reason, later.measure], ['cuda', 'cuda: 3.1× faster than cpu for bmm at this size', null]);
  // a provider that was not available when measured (newly installed) makes auto measure again
  storeChoice(first.key, decide('bmm', { webgpu: 9, cpu: 6.2 }));
  assert.deepEqual(planAuto(big, ['cuda', 'webgpu', 'cpu']).measure, ['cuda', 'webgpu', 'cpu']);
  // one that failed on the graph when measured does not
  storeChoice(first.key, decide('bmm', { webgpu: 9, cpu: 6.2 }, ['cuda']));
  assert.equal(planAuto(big, ['cuda', 'webgpu', 'cpu']).reason, 'cpu: 1.5× faster than webgpu for bmm at this size');
});

test('op errors carry their name once', () => {
  assert.equal(opError('permute', new Error('permute: number of dims don\'t match')).message, 'permute: number of dims don\'t match');
  assert.equal(opError('permute', new Error('permute(): duplicate dims are not allowed')).message, 'permute(): duplicate dims are not allowed');
  assert.equal(opError('mean', new Error('mean: mean(): could not infer output dtype')).message, 'mean(): could not infer output dtype');
  assert.equal(opError('mae', new Error('mae: mae: pred and target: shapes differ')).message, 'mae: pred and target: shapes differ');
  assert.equal(opError('bmm', new Error('bmm expects b×n×m and b×m×p; got 2×3 and 3×4')).message, 'bmm expects b×n×m and b×m×p; got 2×3 and 3×4');
  assert.equal(opError('softmax', new Error('Dimension out of range')).message, 'softmax: Dimension out of range');
});

test('WebGPU probe: a Vulkan loader without a driver, then with SwiftShader\'s driver', { skip: existsSync('/usr/lib/chromium/libvulkan.so.1') ? undefined : 'no /usr/lib/chromium (apt-get install chromium)' }, () => {
  const saved = { ld: process.env.LD_LIBRARY_PATH, icd: process.env.VK_ICD_FILENAMES };
  try {
    process.env.LD_LIBRARY_PATH = '/usr/lib/chromium';
    process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
    assert.match(probeWebgpu() ?? '', /^no Vulkan driver/);
    process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
    assert.equal(probeWebgpu(), null);
  } finally {
    for (const [k, v] of [['LD_LIBRARY_PATH', saved.ld], ['VK_ICD_FILENAMES', saved.icd]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
