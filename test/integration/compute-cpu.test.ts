/** Every op and metric against real PyTorch outputs on the CPU provider (fixtures made at test time). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureFixtures, fixtureDir, runAllCases } from './compute-cases';

test('compute ops and metrics match torch on the CPU provider', async (t) => {
  const why = ensureFixtures();
  if (why) { t.skip(why); return; }
  const outcomes = await runAllCases(fixtureDir, ['cpu']);
  assert.ok(outcomes.length > 100, `only ${outcomes.length} cases`);
  for (const o of outcomes) {
    await t.test(o.name, () => {
      assert.ok(o.ok, o.detail);
      if (o.provider !== null) assert.equal(o.provider, 'cpu');
    });
  }
});
