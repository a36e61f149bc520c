/**
 * denseOf (src/extension/compute/denseOf.ts): the tensor Run Op gets from an open inspector keeps the strides and
 * storage offset of the tensor as saved, so permute / transpose / view give torch's answers for it. Checked against
 * real PyTorch (/usr/bin/python3) on examples/views.pt (transposed, offset rows, strided columns, channels_last,
 * expanded), and values against the packed read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gatherStrided, strideOf } from '../../src/compute/dense';
import { permuteView, viewOf } from '../../src/compute/views';
import { openCheckpoint } from '../../src/core/open';
import { readDense } from '../../src/core/values';
import { denseOf } from '../../src/extension/compute/denseOf';

const repoRoot = path.resolve(__dirname, '..', '..');
const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const file = path.join(repoRoot, 'examples', 'views.pt');

interface TorchFacts { [name: string]: { stride: number[]; offset: number; permuted: number[]; viewable: boolean } }

function torchFacts(): TorchFacts | undefined {
  const r = spawnSync(python, ['-c', [
    'import json, sys, torch',
    'sd = torch.load(sys.argv[1])',
    'out = {}',
    'for k, t in sd.items():',
    '    if t.dim() < 2: continue',
    '    dims = list(reversed(range(t.dim())))',
    '    try:',
    '        t.view(-1); ok = True',
    '    except RuntimeError:',
    '        ok = False',
    '    out[k] = {"stride": list(t.stride()), "offset": t.storage_offset(), "permuted": list(t.permute(*dims).stride()), "viewable": ok}',
    'print(json.dumps(out))',
  ].join('\n'), file], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as TorchFacts) : undefined;
}

const facts = existsSync(python) ? torchFacts() : undefined;

test('denseOf keeps the saved strides: permute and view follow torch', { skip: facts ? undefined : `${python} with torch unavailable` }, async () => {
  const cp = await openCheckpoint(file);
  try {
    const names = Object.keys(facts!);
    assert.ok(names.includes('transposed') && names.includes('rows_2_to_5') && names.includes('expanded'), names.join(','));
    for (const name of names) {
      const t = cp.tensors.find((x) => x.name === name);
      assert.ok(t, name);
      const { dense } = await denseOf(t);
      const f = facts![name]!;
      assert.deepEqual(strideOf(dense), f.stride, `${name} stride`);
      assert.equal(dense.offset ?? 0, f.offset, `${name} storage offset`);
      const dims = [...Array(dense.shape.length).keys()].reverse();
      assert.deepEqual(strideOf(permuteView(dense, dims)), f.permuted, `${name}.permute(${dims}) stride`);
      assert.equal((() => { try { viewOf(dense, [-1]); return true; } catch { return false; } })(), f.viewable, `${name}.view(-1) possible`);
      // the same values as the packed read
      const packed = await readDense(t);
      assert.deepEqual(Array.from(gatherStrided(dense).data as Float32Array), Array.from(packed.data as Float32Array), `${name} values`);
    }
  } finally {
    await cp.close();
  }
});
