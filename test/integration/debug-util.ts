/** Shared by the debug-*.test.ts files: the Python to use, whether it has torch + debugpy, fixture paths. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runToLine, type StopOptions, type StoppedSession } from '../../src/debug/session';

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

/** A debug session stopped at a fixture's `# BREAK` line, with what the fixture wrote about its values. */
export interface FixtureStop<T> {
  session: StoppedSession;
  expected: T;
  /** ends the session and removes the fixture's temporary folder */
  close(): Promise<void>;
}

/**
 * Runs test/fixtures/debug/SCRIPT under real debugpy to its `# BREAK` line; the script writes what torch
 * says (its expectations) to the JSON file named by its first argument.
 */
export async function stopInFixture<T>(script: string, requestTimeoutMs?: number, extra: Partial<StopOptions> = {}): Promise<FixtureStop<T>> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `ts-${path.basename(script, '.py')}-`));
  const out = path.join(tmp, 'expected.json');
  const file = path.join(fixtures, script);
  try {
    const session = await runToLine({ script: file, line: lineOf(file), python, args: [out], ...(requestTimeoutMs ? { requestTimeoutMs } : {}), ...extra });
    const expected = JSON.parse(readFileSync(out, 'utf8')) as T;
    return {
      session,
      expected,
      close: async () => {
        await session.close();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
