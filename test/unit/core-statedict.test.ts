/** Finding the state dict inside a training checkpoint, and the words that say what was chosen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChoice, pickStateDict, stripPrefixes, trainingSectionKind, wrapperChains } from '../../src/core/stateDict';
import { matchStateDicts } from '../../src/core/diff';
import { cosineOf } from '../../src/compute/diffValues';
import type { JsonValue } from '../../src/core/model';

const named = (...names: string[]) => names.map((name) => ({ name }));
const leaf = (name: string): JsonValue => ({ $tensor: name });

test('a Lightning checkpoint: the state dict at state_dict; optimizer and callback state left out', () => {
  const tensors = named('state_dict.model.w', 'state_dict.model.b', 'optimizer_states.0.state.0.exp_avg', 'callbacks.ModelCheckpoint.best_model_score');
  const content: JsonValue = {
    epoch: 3,
    state_dict: { 'model.w': leaf('state_dict.model.w'), 'model.b': leaf('state_dict.model.b') },
    optimizer_states: [{ state: { 0: { exp_avg: leaf('optimizer_states.0.state.0.exp_avg') } }, param_groups: [{ params: [0] }] }],
    callbacks: { ModelCheckpoint: { best_model_score: leaf('callbacks.ModelCheckpoint.best_model_score') } },
  };
  const p = pickStateDict(tensors, content);
  assert.equal(p.key, 'state_dict');
  assert.deepEqual(p.entries.map((e) => e.key), ['model.w', 'model.b']);
  assert.deepEqual(p.leftOut, [{ section: 'optimizer_states', kind: 'optimizer', tensors: 1 }, { section: 'callbacks', kind: 'callbacks', tensors: 1 }]);
  assert.equal(describeChoice(p, 'model.'), 'state dict at `state_dict` (2 tensors), prefix `model.` removed; left out: optimizer state (1), callback state (1)');
  assert.deepEqual(p.sections.map((s) => s.key), ['', 'state_dict']);
});

test('a flat state dict whose keys start with model. is the top level, not a section', () => {
  const tensors = named('model.w', 'model.b');
  const p = pickStateDict(tensors, { 'model.w': leaf('model.w'), 'model.b': leaf('model.b') });
  assert.equal(p.key, '');
  assert.deepEqual(p.entries.map((e) => e.key), ['model.w', 'model.b']);
  assert.deepEqual(p.leftOut, []);
});

test('a pickled nn.Module at the top is one state dict; a module under `net` is found by key', () => {
  const module: JsonValue = { $class: 'x.Net', state_dict: { w: leaf('w') }, optimizer: 1 };
  assert.equal(pickStateDict(named('w'), module).key, '');
  const p = pickStateDict(named('net.w', 'best_acc1', 'rng_state.0'), { net: { $class: 'x.Net', state_dict: { w: leaf('net.w') } }, best_acc1: leaf('best_acc1'), rng_state: [leaf('rng_state.0')] });
  assert.equal(p.key, 'net');
  assert.equal(describeChoice(p, ''), 'state dict at `net` (1 tensor), no prefix removed; left out: `best_acc1` (1), training state (1)');
});

test('the key can be asked for; an unknown key is a one-line error naming the choices', () => {
  const tensors = named('model.w', 'ema.w');
  const content: JsonValue = { model: { w: leaf('model.w') }, ema: { w: leaf('ema.w') } };
  assert.equal(pickStateDict(tensors, content).key, 'model');
  const p = pickStateDict(tensors, content, 'ema');
  assert.equal(p.requested, true);
  assert.deepEqual(p.entries.map((e) => e.key), ['w']);
  assert.throws(() => pickStateDict(tensors, content, 'teacher'), /no tensors under 'teacher' \(state dicts in this file: \(top level\), model, ema\)/);
});

test('training sections and wrapper prefixes', () => {
  assert.equal(trainingSectionKind('optimizer_states'), 'optimizer');
  assert.equal(trainingSectionKind('lr_schedulers'), 'scheduler');
  assert.equal(trainingSectionKind('stem'), null);
  assert.deepEqual(wrapperChains(['model.module.a', 'model.module.b']), ['', 'model.', 'model.module.']);
  assert.deepEqual(wrapperChains(['_orig_mod.a', 'b']), ['']);
  assert.equal(stripPrefixes('model.module.x', ['module.', 'model.']), 'x');
});

test('Lightning `model.` against DDP `module.` align; explicit strip replaces detection', () => {
  const f = (name: string) => ({ name, shape: [2], dtype: 'float32' as const });
  const m = matchStateDicts([f('model.a'), f('model.b')], [f('module.a'), f('module.b')]);
  assert.deepEqual(m.alignment, { a: 'model.', b: 'module.' });
  assert.deepEqual(m.missing, []);
  const none = matchStateDicts([f('model.a')], [f('module.a')], { a: [], b: [] });
  assert.deepEqual([none.missing, none.unexpected], [['model.a'], ['module.a']]);
});

test('cosine of two all-zero tensors is 1; of zero against non-zero 0', () => {
  assert.equal(cosineOf(0, 0, 0), 1);
  assert.equal(cosineOf(0, 0, 4), 0);
  assert.equal(cosineOf(6, 4, 9), 1);
});
