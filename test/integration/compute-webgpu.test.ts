/**
 * The same cases as compute-cpu on the WebGPU provider. On a machine without a GPU this runs on Chromium's
 * SwiftShader Vulkan driver (`apt-get install chromium`), in a child process that gets the Vulkan environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Outcome } from './compute-cases';
import { ensureFixtures, fixtureDir, hasSwiftshader, SWIFTSHADER_ICD, swiftshaderEnv } from './compute-cases';

test('compute ops and metrics match torch on the WebGPU provider', async (t) => {
  if (!hasSwiftshader() && !process.env.TENSORSCOPE_WEBGPU_NATIVE) {
    t.skip(`no ${SWIFTSHADER_ICD} (apt-get install chromium), and TENSORSCOPE_WEBGPU_NATIVE is not set`);
    return;
  }
  const why = ensureFixtures();
  if (why) { t.skip(why); return; }
  const env = process.env.TENSORSCOPE_WEBGPU_NATIVE ? process.env : swiftshaderEnv();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'compute-cases.ts'), fixtureDir, 'webgpu'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `the WebGPU child failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  const outcomes = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Outcome[];
  assert.ok(outcomes.length > 100, `only ${outcomes.length} cases`);
  const ran = outcomes.filter((o) => o.provider !== null);
  assert.ok(ran.length > 100, 'most cases must run a graph');
  for (const o of outcomes) {
    await t.test(o.name, () => {
      assert.ok(o.ok, o.detail);
      if (o.provider !== null) assert.equal(o.provider, 'webgpu');
    });
  }
});
