/** Optimizer state mapped to parameters by order among floating-point parameters, checked by state shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapOptimizerParams, optimizerAliases } from '../../src/shared/content';
import { buildRows } from '../../src/shared/rows';
import { DEFAULT_QUERY, visibleItems } from '../../src/shared/tableModel';
import type { DTypeName } from '../../src/core/dtype';
import type { JsonValue } from '../../src/core/model';
import { tensor } from './ext-fixtures';

const t = (name: string, shape: number[], dtype: DTypeName = 'float32') => ({ name, shape, dtype });

/** a layer whose int64 buffer (`conv1.kernel_size`) and a float buffer (`mask`) come before the parameters */
function lightningLike(ids: number[]) {
  const tensors = [
    t('state_dict.mask', [4]), t('state_dict.conv1.kernel_size', [3], 'int64'), t('state_dict.conv1.lin.weight', [8, 1]),
    t('state_dict.conv1.lin.bias', [8]), t('state_dict.head.weight', [3, 8]), t('state_dict.head.bias', [3]),
    ...ids.flatMap((id, k) => [t(`optimizer_states.0.state.${id}.exp_avg`, [[8, 1], [8], [3, 8], [3]][k])]),
  ];
  const state: Record<string, JsonValue> = {};
  ids.forEach((id) => { state[String(id)] = { step: 2, exp_avg: { $tensor: `optimizer_states.0.state.${id}.exp_avg` } }; });
  const content: JsonValue = { state_dict: {}, optimizer_states: [{ state, param_groups: [{ lr: 0.1, params: ids }] }] };
  return { tensors, content };
}

test('integer and float buffers do not shift the labels; exact when every shape agrees', () => {
  const { tensors, content } = lightningLike([0, 1, 2, 3]);
  const [m] = mapOptimizerParams(content, tensors);
  assert.deepEqual(m.names, { 0: 'state_dict.conv1.lin.weight', 1: 'state_dict.conv1.lin.bias', 2: 'state_dict.head.weight', 3: 'state_dict.head.bias' });
  assert.equal(m.exact, true);
  assert.equal(m.checked, 4);
});

test('pickled ids (id(p) of old torch) map by param_groups order and become parameter names in the table', () => {
  const ids = [47471306934744, 47471306934808, 47471306934872, 47471306934936];
  const { tensors, content } = lightningLike(ids);
  const maps = mapOptimizerParams(content, tensors);
  assert.equal(maps[0].names[String(ids[2])], 'state_dict.head.weight');
  const aliases = optimizerAliases(maps, tensors.map((x) => x.name));
  assert.equal(aliases.get(`optimizer_states.0.state.${ids[0]}.exp_avg`), 'optimizer_states.0.state[conv1.lin.weight].exp_avg');
  const rows = buildRows(tensors.map((x) => tensor(x.name, x.shape, null, { dtype: x.dtype })), aliases);
  const flat = visibleItems(rows, { ...DEFAULT_QUERY, grouped: false, filter: 'head.weight].exp_avg' });
  assert.deepEqual(flat.map((i) => i.kind === 'tensor' && i.label), ['optimizer_states.0.state[head.weight].exp_avg']);
  // the real name still finds it
  assert.equal(visibleItems(rows, { ...DEFAULT_QUERY, grouped: false, filter: `state.${ids[3]}.exp_avg` }).length, 1);
  const tree = visibleItems(rows, { ...DEFAULT_QUERY, filter: 'exp_avg' });
  const labels = tree.map((i) => i.label);
  assert.ok(labels.includes('[conv1.lin.weight]'), labels.join(' | '));
  assert.ok(labels.includes('optimizer_states.0.state'), labels.join(' | '));
});

test('shapes that fit no order: approximate, said so', () => {
  const { tensors, content } = lightningLike([0, 1, 2, 3]);
  const wrong = tensors.map((x) => (x.name === 'optimizer_states.0.state.3.exp_avg' ? t(x.name, [99]) : x));
  const [m] = mapOptimizerParams(content, wrong);
  assert.equal(m.exact, false);
});
