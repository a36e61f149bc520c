/** Shared by the formats / values / stats tests: fixture generation (real numpy + PyTorch) and comparisons. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const fixtureDir = path.join(repoRoot, '.cache', 'fixtures', 'formats');
const script = path.join(repoRoot, 'test', 'fixtures', 'make_format_fixtures.py');

export interface ExpectedStats {
  min: number | null; max: number | null; mean: number | null; std: number | null;
  nan: number; inf: number; zeros?: number; count?: number; histogram?: number[];
}
export interface ExpectedTensor {
  name: string; dtype: string; shape: number[]; stats: ExpectedStats | null;
  values?: Array<number | null | 'inf' | '-inf'>;
}
export interface ExpectedFile { format?: string; error?: boolean; partial?: boolean; tensors?: ExpectedTensor[] }

/** Make the fixtures once (cached; remade when the script changes). */
export function formatFixtures(): Record<string, ExpectedFile> {
  const expectedPath = path.join(fixtureDir, 'expected.json');
  if (!existsSync(expectedPath) || statSync(expectedPath).mtimeMs < statSync(script).mtimeMs) {
    const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
    execFileSync(py, [script, fixtureDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, ExpectedFile>;
}

export function close(a: number | null | undefined, b: number | null | undefined, rel = 1e-6, what = ''): void {
  if (b === null || b === undefined) {
    assert.equal(a ?? null, null, `${what}: expected null, got ${a}`);
    return;
  }
  assert.ok(a !== null && a !== undefined, `${what}: expected ${b}, got ${a}`);
  const tol = rel * Math.max(1, Math.abs(b));
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs expected ${b}`);
}

/** Our stats against numpy's (min/max/mean/std within `rel`, counts exact, histogram within `histL1`). */
export function compareStats(got: { min: number | null; max: number | null; mean: number | null; std: number | null; nan: number; inf: number; zeros?: number; count?: number; histogram?: { counts: number[] } | null } | null, want: ExpectedStats | null, what: string, histL1 = 2, rel = 1e-6): void {
  if (want === null) {
    assert.ok(got === null || got.min === null, `${what}: expected no stats`);
    return;
  }
  assert.ok(got, `${what}: no stats`);
  // truth.json leaves out what it does not know (numpy arrays carry no std there)
  if ('min' in want) close(got.min, want.min, rel, `${what} min`);
  if ('max' in want) close(got.max, want.max, rel, `${what} max`);
  if ('mean' in want) close(got.mean, want.mean, rel, `${what} mean`);
  if ('std' in want) close(got.std, want.std, Math.max(rel, 1e-5), `${what} std`);
  assert.equal(got.nan, want.nan, `${what} nan`);
  assert.equal(got.inf, want.inf, `${what} inf`);
  if (want.zeros !== undefined) assert.equal(got.zeros, want.zeros, `${what} zeros`);
  if (want.count !== undefined) assert.equal(got.count, want.count, `${what} count`);
  if (want.histogram && want.min !== want.max) {
    const counts = got.histogram?.counts ?? [];
    assert.equal(counts.length, 64, `${what} histogram bins`);
    const total = counts.reduce((a, b) => a + b, 0);
    assert.equal(total, want.histogram.reduce((a, b) => a + b, 0), `${what} histogram total`);
    const l1 = counts.reduce((a, c, i) => a + Math.abs(c - (want.histogram as number[])[i]), 0);
    assert.ok(l1 <= histL1, `${what} histogram differs from numpy by ${l1} counts (allowed ${histL1})`);
  }
}

export function expectedValue(v: number | null | 'inf' | '-inf'): number {
  return v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}

/**
 * The fixture test/fixtures/SCRIPT writes with real torch into .cache/fixtures/DIR (made once, remade when
 * the script changes); its folder, or undefined with the test skipped when that Python cannot run it.
 */
export function torchFixture(t: TestContext, script: string, dir: string): string | undefined {
  const file = path.join(repoRoot, 'test', 'fixtures', script);
  const out = path.join(repoRoot, '.cache', 'fixtures', dir);
  const expectedPath = path.join(out, 'expected.json');
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  if (!existsSync(expectedPath) || statSync(expectedPath).mtimeMs < statSync(file).mtimeMs) {
    try {
      execFileSync(py, [file, out], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      t.skip(`${py} with torch is needed to make ${dir} (${script})`);
      return undefined;
    }
  }
  return out;
}
