/** Shared by the debug-*.test.ts files: the Python to use, whether it has torch + debugpy, fixture paths. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixtures = path.join(repoRoot, 'test', 'fixtures', 'debug');
export const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

let cached: string | false | undefined;
/** A reason to skip, or false when `python` has torch, numpy and debugpy. */
export function missingPython(): string | false {
  if (cached === undefined) {
    const r = spawnSync(python, ['-c', 'import torch, numpy, debugpy'], { encoding: 'utf8' });
    cached = r.status === 0 ? false : `${python} lacks torch/numpy/debugpy (${(r.stderr || String(r.error)).trim().split('\n').pop()})`;
  }
  return cached;
}

/** The 1-based line of `marker` in a fixture. */
export function lineOf(file: string, marker = '# BREAK'): number {
  const idx = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (idx < 0) throw new Error(`${marker} not in ${file}`);
  return idx + 1;
}

/** |a-b| within a relative/absolute tolerance (float32 data reduced in float64 on both sides). */
export function close(a: number | null | undefined, b: number | null | undefined, tol = 1e-6): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b || (a == null && b == null);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}
