/**
 * The training-checkpoint fixtures (test/fixtures/make_train_fixtures.py, real PyTorch) for the unit,
 * integration and end-to-end tests: made once into .cache/fixtures/train, remade when the script changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');
export const trainFixtureDir = path.join(repoRoot, '.cache', 'fixtures', 'train');
/** the shared corpus (../shared/corpus from the repository), absent on machines without it */
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');
export const corpusMissing = existsSync(corpusDir) ? null : `../shared/corpus is absent (${corpusDir})`;

export interface PairTruth {
  name: string; a: string; b: string; a_key: string; b_key: string; a_removed: string; b_removed: string;
  missing: string[]; unexpected: string[]; size_mismatch: string[]; dtype_mismatch: string[];
  values: Record<string, { max_abs_diff: number; mae: number; cosine: number }>;
}
export interface TrainTruth {
  torch: string;
  pairs: PairTruth[];
  optimizer: { file: string; path: string; names: Record<string, string> };
  params: { file: string; count: number };
}

/** Make the fixtures with real PyTorch when needed; a reason string when that is not possible. */
export function ensureTrainFixtures(): string | null {
  const script = path.join(repoRoot, 'test', 'fixtures', 'make_train_fixtures.py');
  const truth = path.join(trainFixtureDir, 'truth.json');
  if (existsSync(truth) && statSync(truth).mtimeMs > statSync(script).mtimeMs) return null;
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(py, [script, trainFixtureDir], { encoding: 'utf8' });
  if (r.status !== 0) return `could not make the training fixtures with ${py}: ${(r.stderr || r.error?.message || '').split('\n').slice(-3).join(' ')}`;
  return null;
}

export function readTrainTruth(): TrainTruth {
  return JSON.parse(readFileSync(path.join(trainFixtureDir, 'truth.json'), 'utf8')) as TrainTruth;
}
