/**
 * Checkpoint diff against what torch's load_state_dict reports for two torch-made state dicts, and many small
 * tensors batched into shared runs of the diff graph against a per-pair float64 reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { isSkipped } from '../../src/core/viewWork';
import { stridedTensor } from '../../src/core/tensorInfo';
import { cosineOf, diffCheckpoints } from '../../src/compute/diffValues';
import type { RowPair } from '../../src/compute/diffSums';
import { PairBatches, planBatches, runRows } from '../../src/compute/diffSums';
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

// ---- many small tensors: batched runs of the diff graph against a per-pair float64 reference ----

/** A seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface SmallTensor { name: string; code: 'F32' | 'F64' | 'I64' | 'BOOL' | 'C64'; shape: number[]; values: number[] }

const ITEM = { F32: 4, F64: 8, I64: 8, BOOL: 1, C64: 8 } as const;

function writeSafetensors(file: string, tensors: SmallTensor[]): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const n = t.code === 'C64' ? t.values.length / 2 : t.values.length;
    header[t.name] = { dtype: t.code, shape: t.shape, data_offsets: [offset, offset + n * ITEM[t.code]] };
    offset += n * ITEM[t.code];
  }
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let o = 8 + json.length;
  for (const t of tensors) {
    for (const v of t.values) {
      if (t.code === 'F32' || t.code === 'C64') { out.writeFloatLE(v, o); o += 4; }
      else if (t.code === 'F64') { out.writeDoubleLE(v, o); o += 8; }
      else if (t.code === 'I64') { out.writeBigInt64LE(BigInt(v), o); o += 8; }
      else { out.writeUInt8(v, o); o += 1; }
    }
  }
  writeFileSync(file, out);
}

/** Pairs of mixed sizes (empty to a few thousand elements) and dtypes, NaN in some, a complex one that is not compared. */
function smallPairs(count: number, seed: number): { a: SmallTensor[]; b: SmallTensor[] } {
  const r = rng(seed);
  const sizes = [0, 1, 1, 2, 3, 5, 7, 8, 13, 31, 64, 100, 257, 1000, 4097];
  const a: SmallTensor[] = [];
  const b: SmallTensor[] = [];
  for (let i = 0; i < count; i++) {
    const n = sizes[Math.floor(r() * sizes.length)];
    const code = i % 97 === 5 ? 'C64' : i % 11 === 3 ? 'I64' : i % 13 === 4 ? 'BOOL' : i % 7 === 2 ? 'F64' : 'F32';
    const make = (): number[] => Array.from({ length: code === 'C64' ? 2 * n : n }, () => (
      code === 'I64' ? Math.floor(r() * 200) - 100 : code === 'BOOL' ? (r() < 0.5 ? 1 : 0) : Math.fround(r() * 4 - 2)));
    const va = make();
    // most pairs differ a little, some not at all
    const vb = i % 5 === 0 ? [...va] : make().map((v, j) => (code === 'F32' || code === 'F64' ? Math.fround(va[j] + (v - va[j]) * 0.01) : v));
    if (code === 'F32' && n > 0 && i % 17 === 1) vb[Math.floor(r() * n)] = NaN;
    if (code === 'F64' && n > 0 && i % 19 === 2) va[Math.floor(r() * n)] = NaN;
    // a shape with a leading 1 for some: the values are row-major whatever the rank
    const shape = i % 3 === 0 ? [1, n] : [n];
    a.push({ name: `layer.${i}.w`, code, shape, values: va });
    b.push({ name: `layer.${i}.w`, code, shape, values: vb });
  }
  return { a, b };
}

/** max|p−t|, mean|p−t| and cosine in float64 from the float32 values the graph sees. */
function reference(a: SmallTensor, b: SmallTensor): { max_abs_diff: number; mae: number; cosine: number } {
  let mad = 0, sad = 0, spt = 0, spp = 0, stt = 0;
  for (let i = 0; i < a.values.length; i++) {
    const p = Math.fround(a.values[i]);
    const t = Math.fround(b.values[i]);
    const d = Math.abs(p - t);
    mad = Number.isNaN(d) || Number.isNaN(mad) ? NaN : Math.max(mad, d);
    sad += d; spt += p * t; spp += p * p; stt += t * t;
  }
  return { max_abs_diff: mad, mae: sad / a.values.length, cosine: cosineOf(spt, spp, stt) };
}

function close(got: number | null, want: number, what: string): void {
  assert.ok(got !== null, `${what}: no value`);
  if (Number.isNaN(want)) { assert.ok(Number.isNaN(got), `${what}: ${got}, want NaN`); return; }
  assert.ok(Math.abs(got - want) <= 1e-4 * Math.abs(want) + 1e-5, `${what}: ${got} vs ${want}`);
}

test('many small tensors of mixed sizes and dtypes: batched runs match a per-pair reference, in order', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-diff-batch-'));
  try {
    const { a, b } = smallPairs(600, 7);
    writeSafetensors(path.join(dir, 'a.safetensors'), a);
    writeSafetensors(path.join(dir, 'b.safetensors'), b);
    const ca = await openCheckpoint(path.join(dir, 'a.safetensors'));
    const cb = await openCheckpoint(path.join(dir, 'b.safetensors'));
    try {
      const d = await diffCheckpoints(ca, cb, ['cpu']);
      assert.equal(d.provider, 'cpu');
      assert.ok(d.runMs > 0);
      assert.deepEqual(d.tensors.map((r) => r.key), ca.tensors.map((t) => t.name));
      const byName = new Map(a.map((t, i) => [t.name, i]));
      let nan = 0;
      for (const row of d.tensors) {
        const i = byName.get(row.key) as number;
        if (a[i].code === 'C64') { assert.match(row.skipped ?? '', /complex64 is not compared/); continue; }
        assert.equal(row.skipped, undefined, row.key);
        if (row.numel === 0) { assert.equal(row.max_abs_diff, 0); assert.equal(row.mae, 0); continue; }
        const want = reference(a[i], b[i]);
        if (Number.isNaN(want.max_abs_diff)) nan++;
        close(row.max_abs_diff, want.max_abs_diff, `${row.key} max_abs_diff`);
        close(row.mae, want.mae, `${row.key} mae`);
        close(row.cosine, want.cosine, `${row.key} cosine`);
      }
      assert.ok(nan >= 5, `the data has NaN pairs (${nan})`);
      // the same pairs with batches of at most 7 elements and bigger ones in chunks of 7 give the same numbers
      const small = await diffCheckpoints(ca, cb, ['cpu'], { chunkElements: 7 });
      small.tensors.forEach((row, j) => {
        const want = d.tensors[j];
        assert.equal(row.key, want.key);
        for (const m of ['max_abs_diff', 'mae', 'cosine'] as const) {
          if (want[m] === null) assert.equal(row[m], null);
          else close(row[m], want[m] as number, `${row.key} ${m} (chunks of 7)`);
        }
      });
    } finally {
      await ca.close();
      await cb.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one batched run gives each row what its own run gives', async () => {
  const r = rng(11);
  const rows: RowPair[] = [1, 2, 3, 8, 17, 64, 65, 300].map((n, i) => {
    const p = Float32Array.from({ length: n }, () => r() * 2 - 1);
    const t = Float32Array.from({ length: n }, () => r() * 2 - 1);
    if (i === 4) p[3] = NaN;
    return { p, t };
  });
  const batched = await runRows(rows, ['cpu']);
  assert.equal(batched.sums.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const alone = (await runRows([rows[i]], ['cpu'])).sums[0];
    for (const k of ['mad', 'sad', 'spt', 'spp', 'stt'] as const) close(batched.sums[i][k], alone[k], `row ${i} ${k}`);
  }
  assert.ok(Number.isNaN(batched.sums[4].mad) && Number.isNaN(batched.sums[4].sad), 'NaN stays in its row');
  assert.ok(!Number.isNaN(batched.sums[3].mad) && !Number.isNaN(batched.sums[5].sad), 'and only there');
});

test('batches group pairs of similar size within the element budget, and each batch is one run', async () => {
  assert.deepEqual(planBatches([5, 1, 2, 9, 1, 4, 3], 8), [[1, 4, 2], [6, 5], [0], [3]]);
  const numels = Array.from({ length: 500 }, (_, i) => 1 + (i * 37) % 50);
  const groups = planBatches(numels, 1024);
  assert.deepEqual(groups.flat().sort((x, y) => x - y), numels.map((_, i) => i));
  for (const g of groups) {
    const sizes = g.map((i) => numels[i]);
    assert.ok(Math.max(...sizes) <= 2 * Math.min(...sizes) && g.length * Math.max(...sizes) <= 1024);
  }
  let runs = 0;
  const batches = new PairBatches(1024, ['cpu'], () => { runs++; });
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-diff-batch-'));
  try {
    const tensors: SmallTensor[] = numels.map((n, i) => ({ name: `t${i}`, code: 'F32', shape: [n], values: Array.from({ length: n }, (_, j) => j - i) }));
    writeSafetensors(path.join(dir, 'a.safetensors'), tensors);
    const c = await openCheckpoint(path.join(dir, 'a.safetensors'));
    try {
      const pending = c.tensors.map((t) => batches.add(t, t, t.shape[0]));
      // a pair whose bytes cannot be read is skipped with the reason; its row in the batch is not used
      const broken = stridedTensor('broken', [3], {
        key: 'broken', dtype: 'float32', bytes: 12, device: 'cpu', byteOrder: 'little',
        source: { size: 12, read: () => Promise.reject(new Error('disk on fire')), describe: () => 'broken' },
      });
      const brokenSums = batches.add(broken, broken, 3);
      assert.equal(batches.size, numels.length + 1);
      await batches.flush();
      assert.equal(runs, groups.length);
      const gone = await brokenSums;
      assert.ok(isSkipped(gone) && /disk on fire/.test(gone.skipped), JSON.stringify(gone));
      const sums = await Promise.all(pending);
      sums.forEach((s, i) => {
        assert.ok(!isSkipped(s));
        const want = tensors.find((t) => t.name === c.tensors[i].name) as SmallTensor;
        close(s.mad, 0, `${want.name} mad`);
        close(s.spp, want.values.reduce((x, v) => x + v * v, 0), `${want.name} Σp²`);
      });
    } finally {
      await c.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
