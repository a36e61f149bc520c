import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameMatcher } from '../../src/cli/stats';

test('stats name patterns: substrings and globs', () => {
  const m = nameMatcher(['conv', 'layer?.*.bias']);
  assert.equal(m('stem.conv.weight'), true);
  assert.equal(m('layer1.0.bias'), true);
  assert.equal(m('layer12.0.bias'), false);
  assert.equal(m('fc.weight'), false);
  assert.equal(nameMatcher([])('anything'), true);
  assert.equal(nameMatcher(['a.b'])('axb'), false, 'dots are literal');
});
