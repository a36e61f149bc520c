/**
 * examples/ (the workspace `npm start` opens) matches examples/make_examples.py: the committed files are what the
 * script writes with real PyTorch today, stay small, and the hand-written safetensors file is well formed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const examples = path.join(root, 'examples');
const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const data = (d: string) => readdirSync(d).filter((f) => !f.startsWith('.') && !/\.(py|md)$/.test(f)).sort();
// the legacy format keys storages by memory address, so its bytes differ from run to run
const NONDETERMINISTIC = new Set(['legacy_format.pt']);

test('examples: make_examples.py regenerates the committed files byte for byte', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-examples-'));
  try {
    execFileSync(python, [path.join(examples, 'make_examples.py'), tmp], { stdio: 'pipe' });
    assert.deepEqual(data(tmp), data(examples), 'the same set of files');
    for (const f of data(tmp)) {
      if (NONDETERMINISTIC.has(f)) continue;
      assert.ok(readFileSync(path.join(tmp, f)).equals(readFileSync(path.join(examples, f))),
        `${f} is stale: re-run /usr/bin/python3 examples/make_examples.py`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('examples: small, and the scripts to debug are there', () => {
  const total = data(examples).reduce((n, f) => n + statSync(path.join(examples, f)).size, 0);
  assert.ok(total < 1024 * 1024, `examples/ data is ${total} bytes`);
  for (const f of ['train.py', 'keys.py', 'resnet_tiny.pt', 'training_checkpoint.pt', 'views.pt', 'legacy_format.pt',
    'array.npy', 'arrays.npz', 'model.safetensors']) assert.ok(existsSync(path.join(examples, f)), f);
});

test('examples: model.safetensors has a valid header and contiguous, complete data', () => {
  const buf = readFileSync(path.join(examples, 'model.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'data starts 8-byte aligned');
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const size: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F64: 8 };
  let end = 0;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__').sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (const [name, t] of entries) {
    assert.equal(t.data_offsets[0], end, `${name} follows the previous tensor`);
    assert.equal(t.data_offsets[1] - t.data_offsets[0], t.shape.reduce((a, b) => a * b, 1) * size[t.dtype], `${name} byte length`);
    end = t.data_offsets[1];
  }
  assert.equal(8 + n + end, buf.length, 'no trailing bytes');
  assert.deepEqual(entries.map(([k]) => k).sort(), ['decoder.weight', 'encoder.bias', 'encoder.weight', 'position_ids']);
  assert.equal(header['decoder.weight'].dtype, 'BF16');
});
