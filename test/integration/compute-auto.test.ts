/**
 * `auto` provider choice, measured on this machine's real providers: the CPU against WebGPU on Chromium's
 * SwiftShader (a Vulkan driver on the CPU, far slower than onnxruntime's CPU kernels), in child processes that get
 * the Vulkan environment. Also: a provider made fast through the timing seam is picked; the CLI keeps the choice
 * across processes; without Vulkan, nothing native is printed on stderr and WebGPU's absence is told in our words
 * only when WebGPU was asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasSwiftshader, SWIFTSHADER_ICD, swiftshaderEnv } from './compute-cases';

const repoRoot = path.resolve(__dirname, '..', '..');
const child = path.join(__dirname, 'compute-auto-child.ts');
const cli = path.join(repoRoot, 'src', 'cli.ts');

interface ChildOut {
  first: { provider: string; reason: string };
  pendingAfterFirst: number;
  second: { provider: string; reason: string };
  store: [string, { provider: string; times: Record<string, number>; reason: string }][];
  agrees: boolean;
}

function withCache<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-auto-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(mode: string, cacheDir: string): ChildOut {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, mode], { env: { ...swiftshaderEnv(), TENSORSCOPE_CACHE_DIR: cacheDir }, encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `child failed: ${r.stderr.split('\n').slice(-8).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildOut;
}

/** The environment of a machine without Vulkan: no loader on the library path, no driver manifest. */
function noVulkanEnv(cacheDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TENSORSCOPE_CACHE_DIR: cacheDir };
  delete env.VK_ICD_FILENAMES;
  delete env.VK_DRIVER_FILES;
  delete env.TENSORSCOPE_WEBGPU_NATIVE;
  delete env.TENSORSCOPE_EP;
  env.LD_LIBRARY_PATH = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d && !d.includes('chromium')).join(':');
  return env;
}

const swiftshaderSkip = hasSwiftshader() ? undefined : `no ${SWIFTSHADER_ICD} (apt-get install chromium)`;

test('auto measures WebGPU on SwiftShader against the CPU and picks the CPU, saying why', { skip: swiftshaderSkip, timeout: 300_000 }, () => withCache((dir) => {
  const out = runChild('measure', dir);
  assert.equal(out.first.provider, 'cpu', 'the first run returns at once on the CPU');
  assert.match(out.first.reason, /^cpu: first run of bmm at this size; timing webgpu in the background$/);
  assert.equal(out.pendingAfterFirst, 1, 'the timing runs after the first result was returned');
  assert.equal(out.second.provider, 'cpu');
  assert.match(out.second.reason, /^cpu: \d+(\.\d)?× faster than webgpu for bmm at this size$/);
  const [key, choice] = out.store.find(([k]) => k.startsWith('bmm|')) ?? ['', null];
  assert.ok(choice, 'the choice is stored');
  assert.match(key, /^bmm\|float32\|4\^\d+$/);
  assert.ok(choice.times.cpu > 0 && choice.times.webgpu > choice.times.cpu, `measured times ${JSON.stringify(choice.times)}`);
  assert.ok(out.agrees);
}));

test('auto picks a provider that measures faster (WebGPU made fast through the timing seam)', { skip: swiftshaderSkip, timeout: 300_000 }, () => withCache((dir) => {
  const out = runChild('fast-webgpu', dir);
  assert.equal(out.first.provider, 'cpu');
  assert.equal(out.second.provider, 'webgpu', 'the measured-fastest provider runs the later calls');
  assert.match(out.second.reason, /^webgpu: \d+(\.\d)?× faster than cpu for bmm at this size$/);
  assert.ok(out.agrees, 'WebGPU\'s result equals the CPU\'s');
}));

test('the CLI keeps auto\'s choice across processes', { skip: swiftshaderSkip, timeout: 300_000 }, () => withCache((dir) => {
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  const npy = path.join(dir, 'a.npy');
  const made = spawnSync(py, ['-c', `import numpy as np; np.save(${JSON.stringify(npy)}, np.random.rand(4, 128, 128).astype('float32'))`], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const env: NodeJS.ProcessEnv = { ...swiftshaderEnv(), TENSORSCOPE_CACHE_DIR: dir };
  delete env.TENSORSCOPE_EP;
  const op = () => spawnSync(process.execPath, ['--import', 'tsx', cli, 'op', 'bmm', '--in', npy, '--in', npy], { env, encoding: 'utf8' });
  const first = op();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^ran on cpu: first run of bmm at this size; timing webgpu in the background$/m);
  const second = op();
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /^ran on cpu: \d+(\.\d)?× faster than webgpu for bmm at this size$/m);
}));

test('without Vulkan: no native warning on stderr; WebGPU\'s absence told in our words only when asked for', { timeout: 120_000 }, () => withCache((dir) => {
  const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
  const npy = path.join(dir, 'a.npy');
  spawnSync(py, ['-c', `import numpy as np; np.save(${JSON.stringify(npy)}, np.random.rand(4, 128, 128).astype('float32'))`]);
  const env = noVulkanEnv(dir);
  const run = (...extra: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, 'op', 'bmm', '--in', npy, '--in', npy, ...extra], { env, encoding: 'utf8' });
  const auto = run();
  assert.equal(auto.status, 0, auto.stderr);
  assert.equal(auto.stderr, '', 'nothing on stderr (onnxruntime\'s "Couldn\'t load Vulkan" warning is not triggered)');
  assert.doesNotMatch(auto.stdout, /webgpu|vulkan/i, 'auto does not mention WebGPU when it is not available');
  const asked = run('--ep', 'webgpu,cpu');
  assert.equal(asked.status, 0, asked.stderr);
  assert.equal(asked.stderr, '');
  const lines = asked.stdout.split('\n').filter((l) => /webgpu/i.test(l));
  assert.equal(lines.filter((l) => /not used/.test(l)).length, 1, `one line says why: ${asked.stdout}`);
  assert.match(asked.stdout, /\(webgpu not used: no Vulkan (loader|driver)/);
  assert.match(asked.stdout, /^ran on cpu: webgpu could not run it$/m);
}));
