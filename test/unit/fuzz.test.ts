/**
 * Fuzzing the readers: 10,000+ mutated corpus and fixture files (truncations, bit flips, huge sizes in zip /
 * npy / safetensors headers, splices) plus hand-made hostile pickles (deep nesting, recursive memo references,
 * exponential sharing), fixed seed. Every case must end in a result or a clean one-line UnreadableError.
 * Cases run in two worker threads; a per-case watchdog fails the test when a case hangs (no timing assertion
 * otherwise). Failing inputs are saved under .cache/fuzz-failures/ for reproduction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatFixtures, fixtureDir, repoRoot, sharedDir } from './formats-helpers';
import type { FuzzJob, FuzzReport, FuzzSeed } from './fuzz-worker';

const CASES = Number(process.env.TENSORSCOPE_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.TENSORSCOPE_FUZZ_SEED ?? 20261127);
/** a single case taking longer than this is a hang */
const WATCHDOG_MS = 20_000;
const MAX_SEED_BYTES = 64 * 1024;

function collectSeeds(): FuzzSeed[] {
  formatFixtures();
  const dirs = [fixtureDir, path.join(sharedDir, 'corpus', 'torch2.11'), path.join(sharedDir, 'corpus', 'realworld')];
  const seeds: FuzzSeed[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (!st.isFile() || st.size === 0 || st.size > MAX_SEED_BYTES || name.endsWith('.json')) continue;
      seeds.push({ name, ext: path.extname(name) || '.bin', bytes: new Uint8Array(readFileSync(p)) });
    }
  }
  return seeds;
}

function runWorker(job: FuzzJob, onReport: (r: FuzzReport) => void): Promise<void> {
  const file = path.join(__dirname, 'fuzz-worker.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    let current: { index: number; kind: string; seedName: string; since: number } | undefined;
    let finished = false;
    const timer = setInterval(() => {
      if (current && Date.now() - current.since > WATCHDOG_MS) {
        clearInterval(timer);
        const c = current;
        void worker.terminate();
        reject(new Error(`case ${c.index} (${c.kind} of ${c.seedName}) hung for more than ${WATCHDOG_MS / 1000} s`));
      }
    }, 500);
    worker.on('message', (r: FuzzReport) => {
      if (r.type === 'case') current = { index: r.index, kind: r.kind, seedName: r.seedName, since: Date.now() };
      else if (r.type === 'finished') finished = true;
      else current = undefined;
      onReport(r);
    });
    worker.on('error', (err) => { clearInterval(timer); reject(err); });
    worker.on('exit', (code) => {
      clearInterval(timer);
      if (finished) resolve();
      else reject(new Error(`fuzz worker exited (${code}) during case ${current?.index} (${current?.kind} of ${current?.seedName})`));
    });
  });
}

test(`fuzz: ${CASES} mutated files end in a result or a clean UnreadableError`, { timeout: 600_000 }, async (t) => {
  const seeds = collectSeeds();
  assert.ok(seeds.length >= 10, `enough seed files (${seeds.length})`);
  const failDir = path.join(repoRoot, '.cache', 'fuzz-failures');
  const lanes = 2;
  const per = Math.ceil(CASES / lanes);
  const failures: string[] = [];
  const outcomes = { ok: 0, refused: 0 };
  const kinds = new Map<string, number>();
  await Promise.all(Array.from({ length: lanes }, (_, k) => runWorker(
    { seeds, first: k * per, count: Math.min(per, CASES - k * per), seed: SEED, failDir },
    (r) => {
      if (r.type === 'case') kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      if (r.type === 'done') outcomes[r.outcome]++;
      if (r.type === 'fail') failures.push(`case ${r.index} (${r.kind} of ${r.seedName}, saved ${r.saved}): ${r.error}`);
    },
  )));
  t.diagnostic(`${seeds.length} seeds; ${outcomes.ok} opened, ${outcomes.refused} refused cleanly, ${failures.length} failures`);
  t.diagnostic(`mutations: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.equal(outcomes.ok + outcomes.refused + failures.length, CASES, 'every case reported');
  assert.ok(outcomes.ok > 0 && outcomes.refused > 0, 'the mutations both keep and break files');
  assert.deepEqual(failures.slice(0, 15), [], `${failures.length} cases threw something other than an UnreadableError`);
});
