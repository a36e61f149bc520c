/** The CLI commands op / metric / diff end to end (built dist/cli.js), results checked with numpy/torch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFixtures, fixtureDir, readManifest } from './compute-cases';

const repoRoot = path.resolve(__dirname, '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

function node(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, TENSORSCOPE_EP: 'cpu' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('cli op / metric / diff', async (t) => {
  if (!existsSync(cli)) { t.skip('dist/cli.js is not built (npm run build)'); return; }
  const why = ensureFixtures();
  if (why) { t.skip(why); return; }
  const m = readManifest();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ts-compute-'));

  await t.test('op interpolate --out writes what torch computes (read back by numpy)', () => {
    const c = m.ops.find((o) => o.name === 'interpolate bicubic 2d size=[13, 17] ac=True');
    assert.ok(c && c.expected);
    const out = path.join(tmp, 'r.npy');
    const params = Object.entries(c.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    const r = node(['op', 'interpolate', '--in', path.join(fixtureDir, c.inputs[0]), ...params, '--ep', 'cpu', '--out', out, '--json']);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as { provider: string; shape: number[]; runMs: number };
    assert.equal(summary.provider, 'cpu');
    assert.deepEqual(summary.shape, c.shape);
    const check = execFileSync(py, ['-c', `import numpy as np,sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); print(a.dtype, a.shape, bool(np.allclose(a,b,rtol=1e-4,atol=1e-6)))`, out, path.join(fixtureDir, c.expected)], { encoding: 'utf8' });
    assert.equal(check.trim(), `float32 (${c.shape?.join(', ')}) True`);
  });

  await t.test('op permute reports the view strides torch gives', () => {
    const c = m.ops.find((o) => o.name === 'permute 2,0,3,1');
    assert.ok(c);
    const r = node(['op', 'permute', '--in', path.join(fixtureDir, c.inputs[0]), '--param', 'dims=2,0,3,1', '--json']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as { stride: number[]; view: boolean; provider: string | null };
    assert.deepEqual(s.stride, c.stride);
    assert.equal(s.view, true);
    assert.equal(s.provider, null);
  });

  await t.test('op refuses a bad shape with the reason and exit 1', () => {
    const bmm = m.ops.find((o) => o.name === 'bmm shape refused');
    assert.ok(bmm);
    const r = node(['op', 'bmm', ...bmm.inputs.flatMap((f) => ['--in', path.join(fixtureDir, f)])]);
    assert.equal(r.code, 1);
    assert.equal(r.err.trim(), 'error: bmm expects b×n×m and b×m×p; got 4×5×6 and 4×5×3');
  });

  await t.test('metric --json prints value and provider', () => {
    const c = m.metrics.find((x) => x.name === 'cc per_sample');
    assert.ok(c);
    const r = node(['metric', 'cc', '--pred', path.join(fixtureDir, c.pred), '--target', path.join(fixtureDir, c.target), '--param', 'reduction=per_sample', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { value: number; provider: string; perSample: number[]; sessionMs: number; runMs: number };
    assert.equal(j.provider, 'cpu');
    assert.ok(Math.abs(j.value - (c.value as number)) <= 1e-4 * Math.abs(c.value as number));
    assert.equal(j.perSample.length, c.per_sample?.length);
    assert.equal(typeof j.runMs, 'number');
  });

  await t.test('diff --json', () => {
    const r = node(['diff', path.join(fixtureDir, 'diff_a.pt'), path.join(fixtureDir, 'diff_b.pt'), '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { missing: string[]; unexpected: string[]; alignment: { a: string } };
    assert.deepEqual(j.missing, ['fc.bias']);
    assert.equal(j.alignment.a, 'module.');
  });
});
