/** Checkpoint diff against what torch's load_state_dict reports for two torch-made state dicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { diffCheckpoints } from '../../src/compute/diffValues';
import { ensureFixtures, fixtureDir, readManifest, RTOL } from './compute-cases';

interface DiffTruth {
  a: string; b: string; missing: string[]; unexpected: string[]; size_mismatch: string[]; dtype_mismatch: string[];
  values: Record<string, { max_abs_diff: number; mae: number; cosine: number }>;
}

test('diff reports what load_state_dict reports, module. prefix aligned', async (t) => {
  const why = ensureFixtures();
  if (why) { t.skip(why); return; }
  const truth = (readManifest() as unknown as { diff: DiffTruth }).diff;
  const a = await openCheckpoint(path.join(fixtureDir, truth.a));
  const b = await openCheckpoint(path.join(fixtureDir, truth.b));
  try {
    const d = await diffCheckpoints(a, b, ['cpu'], { chunkElements: 7 });
    assert.deepEqual(d.alignment, { a: 'module.', b: '' });
    // torch orders by module traversal; a file does not record modules, so compare as sets
    assert.deepEqual([...d.missing].sort(), [...truth.missing].sort());
    assert.deepEqual([...d.unexpected].sort(), [...truth.unexpected].sort());
    assert.deepEqual(d.shapeMismatch.map((s) => s.message), truth.size_mismatch);
    assert.deepEqual(d.dtypeMismatch.map((s) => s.key), truth.dtype_mismatch);
    assert.equal(d.provider, 'cpu');
    const rows = new Map(d.tensors.map((r) => [r.key, r]));
    for (const [key, want] of Object.entries(truth.values)) {
      const got = rows.get(key);
      assert.ok(got, `no row for ${key}`);
      for (const m of ['max_abs_diff', 'mae', 'cosine'] as const) {
        const g = got[m] as number;
        assert.ok(Math.abs(g - want[m]) <= RTOL * Math.abs(want[m]) + 1e-6, `${key} ${m}: ${g} vs torch ${want[m]}`);
      }
    }
  } finally {
    await a.close();
    await b.close();
  }
});
