import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyNamePattern } from '../../src/core/namePattern';

test('stats name patterns (the table filter\'s): substrings and globs, any of several', () => {
  const m = anyNamePattern(['conv', 'layer?.*.bias']);
  assert.equal(m.test('stem.conv.weight'), true);
  assert.equal(m.test('layer1.0.bias'), true);
  assert.equal(m.test('layer12.0.bias'), false);
  assert.equal(m.test('fc.weight'), false);
  assert.equal(anyNamePattern([]).test('anything'), true);
  assert.equal(anyNamePattern(['a.b']).test('axb'), false, 'dots are literal');
  assert.match(anyNamePattern(['re:(']).error ?? '', /invalid regular expression/);
});
