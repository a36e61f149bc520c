// Fixtures written by the real PyTorch installed here (test/fixtures/make_torch_fixtures.py), read back
// by our readers and compared with what torch.load itself reports (expected.json written by the script).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import type { TensorInfo } from '../../src/core/model';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'test', 'fixtures', 'make_torch_fixtures.py');
const outDir = path.join(repoRoot, '.cache', 'fixtures', 'core');
const PY = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

function torchAvailable(): boolean {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = torchAvailable() ? false : `${PY} with torch is not available`;

interface Expected {
  name: string; dtype: string; shape: number[]; stride?: number[]; storageOffset?: number; contiguous?: boolean;
  requiresGrad: boolean; storageGroup?: number; storageBytes?: number; layout?: string; quantized?: boolean; values?: number[];
  scales?: number[]; zeroPoints?: number[];
}
interface ExpectedFile { format: string; tensors: Expected[]; byteOrder?: string }

before(() => {
  if (skip) return;
  const exp = path.join(outDir, 'expected.json');
  if (!existsSync(exp) || statSync(exp).mtimeMs < statSync(script).mtimeMs) {
    execFileSync(PY, [script, outDir], { stdio: 'inherit' });
  }
});

async function elements(t: TensorInfo, count: number): Promise<number[]> {
  const item = { float32: 4, float64: 8, int64: 8, int32: 4 }[t.dtype as 'float32'];
  assert.ok(item, `no test decoder for ${t.dtype}`);
  assert.ok(t.storage?.source, `${t.name} has no byte source`);
  const bytes = await t.storage.source.read(0, t.storage.bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.storage.byteOrder !== 'big';
  const out: number[] = [];
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let off = t.storageOffset;
    idx.forEach((i, d) => { off += i * t.stride[d]; });
    const at = off * item;
    out.push(t.dtype === 'float32' ? view.getFloat32(at, le) : t.dtype === 'float64' ? view.getFloat64(at, le)
      : t.dtype === 'int32' ? view.getInt32(at, le) : Number(view.getBigInt64(at, le)));
    for (let d = t.shape.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

test('fixtures made by torch read back as torch reports them', { skip }, async (t) => {
  const expected = JSON.parse(readFileSync(path.join(outDir, 'expected.json'), 'utf8')) as { files: Record<string, ExpectedFile>; notes: string[] };
  for (const note of expected.notes) t.diagnostic(note);
  assert.ok(Object.keys(expected.files).length >= 15);
  for (const [file, ef] of Object.entries(expected.files)) {
    await t.test(file, async () => {
      const ck = await openCheckpoint(path.join(outDir, file));
      try {
        assert.equal(ck.format, ef.format);
        const byName = new Map(ck.tensors.map((x) => [x.name, x]));
        const components = new Set(ck.tensors.flatMap((x) => Object.values(x.sparse?.components ?? {})));
        assert.deepEqual(ck.tensors.map((x) => x.name).filter((n) => !components.has(n)).sort(), ef.tensors.map((x) => x.name).sort(), 'names');
        const groupToKey = new Map<number, string>();
        const keyToGroup = new Map<string, number>();
        for (const e of ef.tensors) {
          const ours = byName.get(e.name) as TensorInfo;
          assert.equal(ours.dtype, e.dtype, `${e.name} dtype`);
          assert.deepEqual(ours.shape, e.shape, `${e.name} shape`);
          assert.equal(ours.layout, e.layout ?? 'strided', `${e.name} layout`);
          if (e.stride) assert.deepEqual(ours.stride, e.stride, `${e.name} stride`);
          if (e.storageOffset !== undefined) assert.equal(ours.storageOffset, e.storageOffset, `${e.name} offset`);
          if (e.contiguous !== undefined) assert.equal(ours.contiguous, e.contiguous, `${e.name} contiguous`);
          if (ef.format !== 'torchscript') assert.equal(ours.requiresGrad, e.requiresGrad, `${e.name} requiresGrad`);
          if (e.storageBytes !== undefined) assert.equal(ours.storage?.bytes, e.storageBytes, `${e.name} storage bytes`);
          if (e.quantized) assert.ok(ours.quant, `${e.name} quantized`);
          if (e.scales) assert.deepEqual(ours.quant?.scales, e.scales, `${e.name} per-channel scales`);
          if (e.zeroPoints) assert.deepEqual(ours.quant?.zeroPoints, e.zeroPoints, `${e.name} per-channel zero points`);
          if (ef.byteOrder) assert.equal(ours.storage?.byteOrder, ef.byteOrder, `${e.name} byte order`);
          if (e.storageGroup !== undefined && ours.storage) {
            const key = ours.storage.key;
            const k0 = groupToKey.get(e.storageGroup);
            const g0 = keyToGroup.get(key);
            assert.ok(k0 === undefined || k0 === key, `${e.name}: group ${e.storageGroup} split over ${k0} and ${key}`);
            assert.ok(g0 === undefined || g0 === e.storageGroup, `${e.name}: storage ${key} shared by groups ${g0} and ${e.storageGroup}`);
            groupToKey.set(e.storageGroup, key);
            keyToGroup.set(key, e.storageGroup);
          }
          if (e.values) assert.deepEqual(await elements(ours, e.values.length), e.values, `${e.name} values`);
        }
      } finally {
        await ck.close();
      }
    });
  }
});
