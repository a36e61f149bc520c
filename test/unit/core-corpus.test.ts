// Every tensor of ../shared/corpus/{torch2.11,realworld}/truth.json against what our readers report.
// Formats whose reader is not registered yet are skipped (and listed). Stats are checked in a separate
// subtest per file (computeStats belongs to the stats module).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { formatReaders } from '../../src/core/formats/index';
import { UnreadableError, type Checkpoint, type TensorInfo } from '../../src/core/model';
import * as statsModule from '../../src/core/stats/index';

const repoRoot = path.resolve(__dirname, '..', '..');
const shared = path.resolve(repoRoot, '..', 'shared');

interface TruthTensor {
  name: string; dtype: string; shape: number[]; stride?: number[]; storageOffset?: number; contiguous?: boolean;
  device?: string; requiresGrad?: boolean; layout?: string; storageGroup?: number; storageBytes?: number;
  numpy?: boolean; quantized?: boolean;
  stats?: { min: number | null; max: number | null; mean: number | null; std: number | null; nan: number; inf: number };
}
interface TruthFile { format: string; tensors: TruthTensor[] | null; notes?: string }

const summary = { files: 0, filesOk: 0, tensors: 0, tensorsOk: 0, skipped: [] as string[], failed: [] as string[] };
after(() => {
  process.stdout.write(`# corpus: ${summary.filesOk}/${summary.files} files match, ${summary.tensorsOk}/${summary.tensors} tensors match\n`);
  if (summary.skipped.length) process.stdout.write(`# corpus: skipped (reader not registered): ${summary.skipped.join(', ')}\n`);
  if (summary.failed.length) process.stdout.write(`# corpus: failed: ${summary.failed.join(', ')}\n`);
});

const registered = new Set(formatReaders.map((r) => r.format as string));
const LOW_PRECISION = /^(float16|bfloat16|float8|complex32|q|float4)/;

function compareTensor(t: TruthTensor, ours: TensorInfo): string[] {
  const bad: string[] = [];
  const eq = (field: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) bad.push(`${t.name}: ${field} ${JSON.stringify(b)} ≠ truth ${JSON.stringify(a)}`);
  };
  eq('dtype', t.dtype, ours.dtype);
  eq('shape', t.shape, ours.shape);
  if (t.stride !== undefined) eq('stride', t.stride, ours.stride);
  if (t.storageOffset !== undefined) eq('storageOffset', t.storageOffset, ours.storageOffset);
  if (t.contiguous !== undefined) eq('contiguous', t.contiguous, ours.contiguous);
  if (t.device !== undefined) eq('device', t.device, ours.device);
  if (t.requiresGrad !== undefined) eq('requiresGrad', t.requiresGrad, ours.requiresGrad);
  eq('layout', t.layout ?? 'strided', ours.layout);
  if (t.storageBytes !== undefined) eq('storageBytes', t.storageBytes, ours.storage?.bytes);
  if (t.numpy) eq('numpy', true, ours.numpy === true);
  if (t.quantized) eq('quantized', true, ours.quant !== undefined);
  return bad;
}

function compareGroups(truth: TruthTensor[], byName: Map<string, TensorInfo>): string[] {
  const withGroup = truth.filter((t) => t.storageGroup !== undefined && byName.get(t.name)?.storage);
  // the truth gives every tensor group 0 for some formats (no storage identity there): nothing to check
  if (withGroup.length > 1 && withGroup.every((t) => t.storageGroup === 0)) {
    const bytes = new Set(withGroup.map((t) => t.storageBytes));
    if (bytes.size > 1 || withGroup.some((t) => t.storageBytes === undefined)) return [];
  }
  const groupToKey = new Map<number, string>();
  const keyToGroup = new Map<string, number>();
  const bad: string[] = [];
  for (const t of withGroup) {
    const key = (byName.get(t.name) as TensorInfo).storage?.key as string;
    const g = t.storageGroup as number;
    const k0 = groupToKey.get(g);
    const g0 = keyToGroup.get(key);
    if (k0 !== undefined && k0 !== key) bad.push(`${t.name}: storage ${key} but group ${g} is ${k0}`);
    if (g0 !== undefined && g0 !== g) bad.push(`${t.name}: shares storage ${key} with group ${g0}, truth group ${g}`);
    groupToKey.set(g, key);
    keyToGroup.set(key, g);
  }
  return bad;
}

function close(a: number | null, b: number | null, rel: number): boolean {
  if (a === null || b === null) return a === b;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

for (const corpus of ['torch2.11', 'realworld']) {
  const dir = path.join(shared, 'corpus', corpus);
  const truthPath = path.join(dir, 'truth.json');
  if (!existsSync(truthPath)) {
    test(`corpus ${corpus}`, { skip: `${truthPath} is absent (../shared not checked out)` }, () => undefined);
    continue;
  }
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { files: Record<string, TruthFile> };
  for (const [file, tf] of Object.entries(truth.files)) {
    const p = path.join(dir, file);
    if (!existsSync(p)) continue; // entries that describe no file (autograd fixtures)
    const isError = tf.format === 'error' || tf.format === 'error-or-unknown';
    if (!isError && !registered.has(tf.format)) {
      summary.skipped.push(`${corpus}/${file} (${tf.format})`);
      test(`corpus ${corpus}/${file}`, { skip: `no ${tf.format} reader registered yet` }, () => undefined);
      continue;
    }
    let opened: Checkpoint | undefined;
    test(`corpus ${corpus}/${file} (${tf.format})`, async () => {
      summary.files++;
      summary.tensors += tf.tensors?.length ?? 0;
      if (tf.format === 'error') {
        await assert.rejects(openCheckpoint(p), (err: unknown) => {
          assert.ok(err instanceof UnreadableError, `not an UnreadableError: ${String(err)}`);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        });
        summary.filesOk++;
        return;
      }
      if (tf.format === 'error-or-unknown') {
        try {
          const ck = await openCheckpoint(p);
          await ck.close();
        } catch (err) {
          assert.ok(err instanceof UnreadableError, `not an UnreadableError: ${String(err)}`);
        }
        summary.filesOk++;
        return;
      }
      let ck: Checkpoint;
      try {
        ck = await openCheckpoint(p);
      } catch (err) {
        summary.failed.push(`${corpus}/${file}`);
        throw err;
      }
      opened = ck;
      try {
        assert.equal(ck.format, tf.format, 'format');
        if (tf.tensors === null) { summary.filesOk++; return; }
        const byName = new Map(ck.tensors.map((t) => [t.name, t]));
        const problems: string[] = [];
        let ok = 0;
        for (const t of tf.tensors) {
          const ours = byName.get(t.name);
          if (!ours) { problems.push(`${t.name}: missing`); continue; }
          const bad = compareTensor(t, ours);
          if (bad.length) problems.push(...bad); else ok++;
        }
        problems.push(...compareGroups(tf.tensors, byName));
        const truthNames = new Set(tf.tensors.map((t) => t.name));
        const components = new Set(ck.tensors.flatMap((t) => Object.values(t.sparse?.components ?? {})));
        const extra = ck.tensors.filter((t) => !truthNames.has(t.name) && !components.has(t.name));
        if (extra.length) problems.push(`extra tensors: ${extra.slice(0, 5).map((t) => t.name).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5})` : ''}`);
        summary.tensorsOk += ok;
        if (problems.length) {
          summary.failed.push(`${corpus}/${file}`);
          assert.fail(`${problems.length} problems:\n  ${problems.slice(0, 12).join('\n  ')}`);
        }
        summary.filesOk++;
      } finally {
        if (!tf.tensors?.some((t) => t.stats)) await ck.close();
      }
    });
    if (!isError && tf.tensors?.some((t) => t.stats)) {
      test(`corpus ${corpus}/${file} stats`, { skip: typeof statsModule.computeStats !== 'function' && 'computeStats not available yet' }, async () => {
        const ck = opened;
        if (!ck) return; // the structure test failed already
        try {
          const byName = new Map(ck.tensors.map((t) => [t.name, t]));
          const bad: string[] = [];
          for (const t of tf.tensors ?? []) {
            const ours = byName.get(t.name);
            if (!t.stats || !ours) continue;
            const s = await statsModule.computeStats(ours, { workers: false });
            const rel = LOW_PRECISION.test(t.dtype) ? 2e-3 : 1e-6;
            for (const f of ['min', 'max', 'mean', 'std'] as const) {
              if (t.stats[f] === undefined) continue;
              if (!close(t.stats[f], s[f], rel)) bad.push(`${t.name}: ${f} ${s[f]} ≠ ${t.stats[f]}`);
            }
            if (s.nan !== t.stats.nan) bad.push(`${t.name}: nan ${s.nan} ≠ ${t.stats.nan}`);
            if (s.inf !== t.stats.inf) bad.push(`${t.name}: inf ${s.inf} ≠ ${t.stats.inf}`);
          }
          if (bad.length) assert.fail(`${bad.length} stats differ:\n  ${bad.slice(0, 10).join('\n  ')}`);
        } finally {
          await ck.close();
        }
      });
    }
  }
}
