/**
 * `node dist/cli.js trace …` with real torch on our own scripts (test/fixtures/trace/): every line marked
 * `# -> SHAPE [DTYPE]…` must be reported with that output shape, every `# ERROR case: text` line must be the
 * failing line of that case with that explanation; plus the program's argv/cwd/env/output and the limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { explainTraceError } from '../../src/debug/trace/explain';
import type { TraceError, TraceOp } from '../../src/debug/trace/result';

const repoRoot = path.resolve(__dirname, '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'trace');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const skip = !hasTorch ? `${python} lacks torch` : !existsSync(cli) ? 'dist/cli.js not built (node scripts/build.mjs)' : false;

interface Run { code: number; stdout: string; stderr: string }
const run = (args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> =>
  promisify(execFile)(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20, ...opts })
    .then((r) => ({ code: 0, ...r }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));

interface TraceJson { ops: TraceOp[]; error: TraceError | null; elapsedMs: number; limit: string | null; exitCode: number }

async function traceJson(script: string, args: string[] = [], extra: string[] = []): Promise<TraceJson> {
  const r = await run(['trace', path.join(fixtures, script), '--python', python, '--json', ...extra, '--', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as TraceJson;
}

/** `{ line: [[shape, dtype?]…] }` from the `# -> [2, 3] float32 [4]` markers of a fixture. */
function markedShapes(file: string): Map<number, { shape: number[]; dtype?: string }[]> {
  const out = new Map<number, { shape: number[]; dtype?: string }[]>();
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    const m = /# -> (\[.*?)(\s+#.*)?$/.exec(text);
    if (!m) return;
    const want = [...m[1]!.matchAll(/\[([\d, ]*)\](?: ([a-z]+\d*))?/g)].map((x) => ({
      shape: x[1]!.trim() ? x[1]!.split(',').map((d) => Number(d.trim())) : [],
      ...(x[2] ? { dtype: x[2] } : {}),
    }));
    out.set(i + 1, want);
  });
  return out;
}

function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `${marker} in ${file}`);
  return i + 1;
}

/** Every marked line of `files` has an op whose outputs include each marked shape (and dtype). */
function assertMarkedLines(trace: TraceJson, files: string[], atLeast = 5): void {
  let checked = 0;
  for (const name of files) {
    const file = path.join(fixtures, name);
    for (const [line, wants] of markedShapes(file)) {
      const here = trace.ops.filter((o) => o.file === file && o.line === line);
      assert.ok(here.length, `${name}:${line}: no ops recorded`);
      for (const want of wants) {
        const hit = here.some((o) => o.outputs.some((s) => JSON.stringify(s) === JSON.stringify(want.shape)) && (!want.dtype || o.dtype === want.dtype));
        assert.ok(hit, `${name}:${line}: no op produced ${JSON.stringify(want)}; got ${JSON.stringify(here.map((o) => [o.op, o.outputs, o.dtype]))}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= atLeast, `${checked} marked shapes checked`);
}

test('a conv net with a residual block from another file and interpolate: each line with its output shape', { skip }, async () => {
  const trace = await traceJson('conv_net.py');
  assert.equal(trace.error, null);
  assert.equal(trace.exitCode, 0);
  assert.ok(trace.elapsedMs > 0);
  for (const o of trace.ops) assert.ok(path.isAbsolute(o.file), o.file);
  assertMarkedLines(trace, ['conv_net.py', 'trace_blocks.py']);
  // ops inside nn.Conv2d.forward are credited to the user's line that called the module, with every operand
  const blocks = path.join(fixtures, 'trace_blocks.py');
  const conv = trace.ops.find((o) => o.file === blocks && o.line === lineOf(blocks, 'self.conv1(x)') && o.op === 'conv2d');
  assert.deepEqual(conv?.inputs, [[2, 16, 32, 48], [16, 16, 3, 3], [16]]);
  assert.equal(conv?.device, 'cpu');
  // a module of the user's own is credited to the line that called it, as a call
  const call = trace.ops.find((o) => o.file === path.join(fixtures, 'conv_net.py') && o.op === 'ConvNet');
  assert.equal(call?.call, true);
  assert.deepEqual(call?.outputs, [[2, 10]]);
  // nothing from torch's own files, nothing from the program's print
  assert.ok(trace.ops.every((o) => o.file.startsWith(fixtures)));
});

test('attention written out and nn.MultiheadAttention', { skip }, async () => {
  const trace = await traceJson('attention.py');
  assert.equal(trace.error, null);
  assertMarkedLines(trace, ['attention.py']);
  const file = path.join(fixtures, 'attention.py');
  const scores = trace.ops.filter((o) => o.file === file && o.line === lineOf(file, 'scores = q @')).map((o) => o.op);
  assert.deepEqual(scores, ['transpose', 'matmul', 'div']);
});

test('cat and stack in loops: every distinct shape of a line, counts, and the bound on kept shapes', { skip }, async () => {
  const trace = await traceJson('loops.py');
  assertMarkedLines(trace, ['loops.py']);
  const file = path.join(fixtures, 'loops.py');
  const padded = trace.ops.filter((o) => o.file === file && o.line === lineOf(file, 'padded.append') && o.op === 'cat');
  assert.deepEqual(padded.map((o) => [o.inputs, o.count]), [
    [[[3, 4], [6, 4]], 1], [[[7, 4], [2, 4]], 1], [[[5, 4], [4, 4]], 1], [[[1, 4], [8, 4]], 1], [[[9, 4], [0, 4]], 1],
  ]);
  const many = trace.ops.filter((o) => o.file === file && o.line === lineOf(file, '# MANY'));
  assert.equal(many.length, 16);
  assert.deepEqual(many.map((o) => o.outputs[0]), Array.from({ length: 16 }, (_, i) => [i + 1]));
  assert.equal(many[0]!.more, 4);
  assert.equal(many.reduce((n, o) => n + o.count + (o.more ?? 0), 0), 20);
});

const errorCases = ['bmm', 'view', 'cat', 'matmul', 'linear', 'conv', 'caught'];
for (const name of errorCases) {
  test(`shape error (${name}): the failing line, the op and its operands, explained`, { skip }, async () => {
    const trace = await traceJson('shape_errors.py', [name]);
    assert.equal(trace.exitCode, 1);
    const error = trace.error!;
    assert.ok(error, 'an error is recorded');
    const files = ['shape_errors.py', 'trace_blocks.py'].map((f) => path.join(fixtures, f));
    const marker = `# ERROR ${name}: `;
    const file = files.find((f) => readFileSync(f, 'utf8').includes(marker))!;
    assert.equal(error.file, file);
    assert.equal(error.line, lineOf(file, marker));
    const expected = readFileSync(file, 'utf8').split('\n')[error.line! - 1]!.split(marker)[1]!.trim();
    assert.equal(explainTraceError(error).summary, expected);
    if (name === 'caught') assert.equal(error.op, null); // the matmul that raised earlier was caught by the program
    else assert.ok(error.op && error.inputs.length >= 1, JSON.stringify(error));
  });
}

test("the program's argv, working directory, environment and output (not in the JSON)", { skip }, async () => {
  const cwd = os.tmpdir();
  const script = path.join(fixtures, 'program_io.py');
  const env = { ...process.env, TENSORSCOPE_TRACE_TEST: 'from-env' };
  const json = await run(['trace', script, '--python', python, '--cwd', cwd, '--json', '--', '3', 'two words'], { env });
  assert.equal(json.code, 0, json.stderr);
  const trace = JSON.parse(json.stdout) as TraceJson; // stdout holds the JSON alone
  assert.deepEqual(Object.keys(trace).slice(0, 3), ['ops', 'error', 'elapsedMs']);
  const said = JSON.parse(json.stderr.split('\n')[0]!) as { argv: string[]; cwd: string; env: string };
  assert.deepEqual(said, { argv: ['3', 'two words'], cwd: path.resolve(cwd), env: 'from-env' });
  assert.match(json.stderr, /to stderr/);
  assertMarkedLines(trace, ['program_io.py'], 1);

  const text = await run(['trace', script, '--python', python, '--', '3'], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^\{"argv": \["3"\]/m);
  assert.match(text.stdout, /x = torch\.ones.*\n\s+ones → \[3\] float32/);
});

test('limits: --max-ops and --max-seconds stop the program, keep the trace and say so', { skip }, async () => {
  const script = path.join(fixtures, 'long_run.py');
  const ops = await traceJson('long_run.py', ['ops'], ['--max-ops', '300']);
  assert.match(ops.limit ?? '', /--max-ops 300 reached/);
  const loop = ops.ops.find((o) => o.line === lineOf(script, '# LOOP'));
  assert.ok(loop && loop.count >= 290 && loop.count <= 300, JSON.stringify(loop));
  const secs = await traceJson('long_run.py', [], ['--max-seconds', '2']);
  assert.match(secs.limit ?? '', /--max-seconds 2 reached/);
  assert.equal(secs.error, null);
  assertMarkedLines(secs, ['long_run.py'], 1);
});

test('the text listing shows each line with its source, its ops and the error explained', { skip }, async () => {
  const r = await run(['trace', path.join(fixtures, 'shape_errors.py'), '--python', python, '--', 'bmm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /a = torch\.randn\(4, 10, 32\)\n\s+randn → \[4, 10, 32\] float32\n/);
  assert.match(r.stdout, /error at .*shape_errors\.py:\d+: RuntimeError\n\s+\d+ {2}return torch\.bmm\(a, b\).*\n {2}bmm: \[4, 10, 32\] @ \[4, 16, 7\]: batch2's dim 1 \(16\) must equal batch1's dim 2 \(32\)\n {2}torch: RuntimeError: /);
  assert.match(r.stderr, /Traceback \(most recent call last\):\n {2}File ".*shape_errors\.py"/); // the program's own traceback, tracer frames left out
  assert.doesNotMatch(r.stderr, /tensorscope_trace\.py|runpy/);
});

test('one-line errors: a missing interpreter, an interpreter without torch, bad arguments', { skip }, async () => {
  const script = path.join(fixtures, 'program_io.py');
  const missing = await run(['trace', script, '--python', '/nonexistent/python3']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: cannot start \/nonexistent\/python3: .*\n$/);
  const usage = await run(['trace', script, 'extra']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^error: unexpected argument extra \(the script's own arguments go after --\)\n/);
  const bare = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (bare.status !== 0 && !bare.error) {
    const noTorch = await run(['trace', script, '--python', 'python3']);
    assert.equal(noTorch.code, 1);
    assert.match(noTorch.stderr, /^error: .*cannot trace: ModuleNotFoundError: No module named 'torch' \(the tracer needs torch 1\.13 or newer\)\n$/);
  }
});
