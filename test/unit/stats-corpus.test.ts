/**
 * Statistics of every corpus tensor that truth.json gives stats for (all formats: views, every dtype, NaN/Inf,
 * safetensors, npy, npz…), opened through openCheckpoint. Skips when ../shared is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import type { Checkpoint } from '../../src/core/model';
import { computeStats, statsJson } from '../../src/core/stats';
import { compareStats, sharedDir, type ExpectedStats } from './formats-helpers';

const corpus = path.join(sharedDir, 'corpus');
const MY_FORMATS = new Set(['npy', 'npz', 'safetensors', 'onnx']);

interface TruthTensor { name: string; dtype: string; shape: number[]; stats?: ExpectedStats | null; storageGroup?: number }
interface TruthFile { format: string; tensors: TruthTensor[] | null }

for (const set of ['torch2.11', 'realworld']) {
  const truthPath = path.join(corpus, set, 'truth.json');
  test(`statistics match ${set}/truth.json`, { skip: existsSync(truthPath) ? false : `no ${truthPath} (../shared absent)` }, async (t) => {
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { files: Record<string, TruthFile> };
    let compared = 0;
    for (const [file, tf] of Object.entries(truth.files)) {
      const p = path.join(corpus, set, file);
      if (!tf.tensors || !existsSync(p) || tf.format.startsWith('error')) continue;
      const withStats = tf.tensors.filter((x) => x.stats !== undefined);
      const mine = MY_FORMATS.has(tf.format);
      if (!withStats.length && !mine) continue;
      let ck: Checkpoint;
      try {
        ck = await openCheckpoint(p);
      } catch (err) {
        if (mine) throw err;
        t.diagnostic(`${file}: not opened (${(err as Error).message}); its reader's own tests cover that`);
        continue;
      }
      try {
        if (mine) {
          assert.equal(ck.format, tf.format, `${file} format`);
          for (const tt of tf.tensors) {
            const got = ck.tensors.find((x) => x.name === tt.name);
            assert.ok(got, `${file}: tensor ${tt.name} missing`);
            assert.equal(got.dtype, tt.dtype, `${file}:${tt.name} dtype`);
            assert.deepEqual(got.shape, tt.shape, `${file}:${tt.name} shape`);
          }
        }
        for (const tt of withStats) {
          const got = ck.tensors.find((x) => x.name === tt.name);
          if (!got) {
            assert.ok(!mine, `${file}: tensor ${tt.name} missing`);
            t.diagnostic(`${file}: tensor ${tt.name} not listed by its reader`);
            continue;
          }
          const s = await computeStats(got);
          compareStats(statsJson(s, got.dtype), tt.stats ?? null, `${set}/${file}:${tt.name}`, Infinity, 1e-6);
          compared++;
        }
      } finally {
        await ck.close();
      }
    }
    assert.ok(compared > 0, 'compared some statistics');
    t.diagnostic(`${compared} tensors' statistics compared`);
  });
}
