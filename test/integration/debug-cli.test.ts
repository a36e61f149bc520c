/** `node dist/cli.js probe|autograd …` end to end (the JSON contract of issue #5), with real debugpy + torch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixtures, lineOf, missingPython, python, repoRoot } from './debug-util';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const skip = missingPython() || (existsSync(cli) ? false : 'dist/cli.js not built (node scripts/build.mjs)');
const run = (args: string[]) => promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 })
  .then((r) => ({ code: 0, ...r }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));

test('probe --json prints the hover contract, agreeing with torch', { skip }, async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ts-cli-probe-'));
  try {
    const script = path.join(fixtures, 'hover_cases.py');
    const out = path.join(tmp, 'expected.json');
    // torch's own answers for `bad` (hover_cases.py builds the same tensor and writes them)
    await promisify(execFile)(python, [script, out]);
    const want = (JSON.parse(readFileSync(out, 'utf8')) as Record<string, { shape: number[]; stats: Record<string, number> }>).bad!;
    const r = await run(['probe', path.join(fixtures, 'cli_probe.py'), '--line', String(lineOf(path.join(fixtures, 'cli_probe.py'))), '--expr', 'bad', '--python', python, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, unknown> & { stats: Record<string, number | null> };
    for (const k of ['shape', 'dtype', 'stride', 'contiguous', 'requiresGrad', 'device', 'gradFn', 'stats']) assert.ok(k in got, k);
    assert.deepEqual(got.shape, want.shape);
    for (const k of ['min', 'max', 'mean', 'std', 'nan', 'inf']) assert.ok(Math.abs((got.stats[k] as number) - want.stats[k]!) < 1e-9, k);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('autograd --json prints nodes, edges, leaves and elapsedMs', { skip }, async () => {
  const script = path.join(fixtures, 'cli_probe.py');
  const r = await run(['autograd', script, '--line', String(lineOf(script)), '--expr', 'loss', '--python', python, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(r.stdout) as { nodes: { id: number; name: string; saved: unknown[] }[]; edges: [number, number][]; leaves: { name?: string }[]; elapsedMs: number };
  assert.deepEqual(g.nodes.map((n) => n.name), ['SumBackward0', 'ReluBackward0', 'AddBackward0', 'MmBackward0', 'AccumulateGrad', 'TBackward0', 'AccumulateGrad']);
  assert.deepEqual(g.edges, [[0, 1], [1, 2], [2, 3], [2, 4], [3, 5], [5, 6]]);
  assert.deepEqual(g.leaves.map((l) => l.name).sort(), ['W', 'b']);
  assert.ok(g.elapsedMs > 0 && g.elapsedMs < 60_000);
  const dot = await run(['autograd', script, '--line', String(lineOf(script)), '--expr', 'loss', '--python', python, '--dot']);
  assert.match(dot.stdout, /^digraph autograd \{/);
});

test('probe and autograd evaluate typed expressions with calls, as the Debug Console does', { skip }, async () => {
  const script = path.join(fixtures, 'cli_probe.py');
  const line = String(lineOf(script));
  const probe = await run(['probe', script, '--line', line, '--expr', 'bad.reshape(2, 3).transpose(0, 1)', '--python', python, '--json']);
  assert.equal(probe.code, 0, probe.stderr);
  const t = JSON.parse(probe.stdout) as { shape: number[]; stride: number[]; contiguous: boolean };
  assert.deepEqual([t.shape, t.stride, t.contiguous], [[3, 2], [1, 3], false]);
  const sum = await run(['autograd', script, '--line', line, '--expr', 'loss.mul(2)', '--python', python, '--json']);
  assert.equal(sum.code, 0, sum.stderr);
  assert.equal((JSON.parse(sum.stdout) as { nodes: { name: string }[] }).nodes[0]!.name, 'MulBackward0');
});

test('errors: one line on stderr, non-zero exit', { skip }, async () => {
  const script = path.join(fixtures, 'cli_probe.py');
  const undefinedName = await run(['probe', script, '--line', String(lineOf(script)), '--expr', 'nothing', '--python', python, '--json']);
  assert.equal(undefinedName.code, 1);
  assert.equal(undefinedName.stderr, "error: nothing: name 'nothing' is not defined\n");
  const raising = await run(['probe', script, '--line', String(lineOf(script)), '--expr', 'bad.no_such_method()', '--python', python]);
  assert.equal(raising.code, 1);
  assert.match(raising.stderr, /^error: bad\.no_such_method\(\): AttributeError: .*no_such_method.*\n$/);
  const usage = await run(['probe', script, '--expr', 'x']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--line N/);
  const badPython = await run(['probe', script, '--line', '2', '--expr', 'x', '--python', '/nonexistent/python3']);
  assert.equal(badPython.code, 1);
  assert.equal(badPython.stderr.trim().split('\n').length, 1, badPython.stderr);
  assert.match(badPython.stderr, /^error: cannot start \/nonexistent\/python3/);
});
