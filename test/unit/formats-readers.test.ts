/**
 * The npy / npz / safetensors / ONNX / plain-pickle readers against fixtures made by real numpy and PyTorch
 * (test/fixtures/make_format_fixtures.py): names, dtypes, shapes, values and statistics; broken and foreign
 * files end in a clean UnreadableError with a one-line reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { openCheckpoint, detectFormat } from '../../src/core/open';
import { UnreadableError, type Checkpoint } from '../../src/core/model';
import { readDense } from '../../src/core/values';
import { computeStats } from '../../src/core/stats';
import { sniff } from '../../src/core/formats/sniff';
import { safetensorsReader } from '../../src/core/formats/safetensors';
import { compareStats, expectedValue, fixtureDir, formatFixtures } from './formats-helpers';

const expected = formatFixtures();

for (const [file, want] of Object.entries(expected)) {
  const p = path.join(fixtureDir, file);
  if (want.error) {
    test(`${file} is refused cleanly`, async () => {
      // the reader that claims it (if any) must itself fail with an UnreadableError, not a TypeError
      const { reader } = await detectFormat(p);
      if (reader) {
        await assert.rejects(reader.open(p), (err: unknown) => {
          assert.ok(err instanceof UnreadableError, `${reader.format} reader threw ${String(err)}`);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        });
      }
      await assert.rejects(openCheckpoint(p), UnreadableError);
    });
    continue;
  }
  test(`${file} opens as ${want.format} with the right tensors`, async () => {
    const ck: Checkpoint = await openCheckpoint(p);
    try {
      assert.equal(ck.format, want.format);
      const byName = new Map(ck.tensors.map((t) => [t.name, t]));
      if (!want.partial) assert.deepEqual(ck.tensors.map((t) => t.name).sort(), (want.tensors ?? []).map((t) => t.name).sort());
      for (const wt of want.tensors ?? []) {
        const t = byName.get(wt.name);
        assert.ok(t, `tensor ${JSON.stringify(wt.name)} missing (have ${[...byName.keys()].join(', ')})`);
        assert.equal(t.dtype, wt.dtype, `${wt.name} dtype`);
        assert.deepEqual(t.shape, wt.shape, `${wt.name} shape`);
        if (wt.dtype === 'object' || wt.dtype === 'unknown') {
          await assert.rejects(readDense(t), UnreadableError);
          continue;
        }
        const stats = await computeStats(t, { workers: false });
        compareStats(wt.stats === null ? null : stats, wt.stats, `${file}:${wt.name}`, Math.max(2, (stats.count ?? 0) * 0.005), t.dtype === 'float16' || t.dtype === 'bfloat16' ? 1e-6 : 1e-9);
        if (wt.values) {
          const dense = await readDense(t);
          const got = Array.from(dense.data as ArrayLike<number | bigint>, (v) => Number(v));
          const exp = wt.values.map(expectedValue);
          assert.equal(got.length, exp.length, `${wt.name} element count`);
          got.forEach((v, i) => {
            if (Number.isNaN(exp[i])) assert.ok(Number.isNaN(v), `${wt.name}[${i}] NaN`);
            else assert.ok(v === exp[i] || Math.abs(v - exp[i]) <= 1e-6 * Math.abs(exp[i]), `${wt.name}[${i}]: ${v} vs ${exp[i]}`);
          });
        }
      }
    } finally {
      await ck.close();
    }
  });
}

test('npy fortran order and big-endian arrays keep their layout facts', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'i16_fortran.npy'));
  const t = ck.tensors[0];
  assert.deepEqual(t.stride, [1, 2, 6]);
  assert.equal(t.contiguous, false);
  assert.equal(t.name, '');
  assert.equal(t.numpy, true);
  await ck.close();
  const be = await openCheckpoint(path.join(fixtureDir, 'f64_big.npy'));
  assert.equal(be.tensors[0].storage?.byteOrder, 'big');
  assert.equal(be.meta.byteorder, 'big');
  await be.close();
});

test('safetensors: only the header is read at open, sharded sets open as one checkpoint', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'sharded'));
  assert.equal(ck.tensors.length, 4);
  assert.match(ck.producer ?? '', /2 shards/);
  const keys = new Set(ck.tensors.map((t) => t.storage?.key));
  assert.equal(keys.size, 4, 'every tensor its own storage');
  await ck.close();
  const single = await safetensorsReader.open(path.join(fixtureDir, 'plain.safetensors'));
  assert.equal(single.producer, 'safetensors (format=pt)');
  const t = single.tensors.find((x) => x.name === 'embed.weight');
  assert.ok(t?.storage?.source);
  assert.equal(t.storage.bytes, 160);
  await single.close();
});

test('a torch .bin sharded set with pytorch_model.bin.index.json merges its shards', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'binsharded', 'pytorch_model.bin.index.json'));
  assert.deepEqual(ck.tensors.map((t) => t.name).sort(), ['layer.0.bias', 'layer.0.weight', 'layer.1.bias', 'layer.1.weight']);
  const keys = new Set(ck.tensors.map((t) => t.storage?.key));
  assert.equal(keys.size, 4, 'storage keys stay distinct across shards');
  await ck.close();
});

test('npz members are lazy windows: a deflated member inflates only what is read', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'deflated.npz'));
  assert.equal(ck.meta.compression, 'deflated');
  const t = ck.tensors.find((x) => x.name === 'sub/dir');
  assert.ok(t);
  assert.deepEqual(Array.from((await readDense(t)).data as Float64Array), [1, 1, 1]);
  await ck.close();
});

test('sniff names foreign files in one line', () => {
  const cases: Array<[string, RegExp]> = [
    ['model.pt.gz', /gzip.*zip archive/],
    ['keras.h5', /HDF5/],
    ['torch7.t7', /Lua Torch7/],
    ['empty.pt', /empty/],
    ['random.bin', /unrecognized/],
  ];
  for (const [file, re] of cases) {
    const p = path.join(fixtureDir, file);
    const head = new Uint8Array(readFileSync(p).subarray(0, 65536));
    const r = sniff(head, p, [], statSync(p).size);
    assert.match(`${r.what ?? ''}: ${r.reason}`, re, file);
    assert.ok(!r.reason.includes('\n'));
  }
  const sm = sniff(new Uint8Array(0), path.join(fixtureDir, 'saved_model'), ['saved_model.pb', 'variables'], 0);
  assert.match(sm.what ?? '', /SavedModel/);
});

test('object arrays: listed with dtype object, their objects unpickled safely into the content tree', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'objarr.npy'));
  assert.equal(ck.tensors[0].dtype, 'object');
  assert.deepEqual(ck.content, { $tensor: '', objects: { $objects: ['1', "'two'", 'None'], count: 3 } });
  await ck.close();
  const z = await openCheckpoint(path.join(fixtureDir, 'objects.npz'));
  assert.deepEqual((z.content as Record<string, unknown>).bad, { $tensor: 'bad', objects: { $objects: ['<dict of 1>', 'None'], count: 2 } });
  await z.close();
});

test('ONNX external data outside the model folder is refused, a missing file is reported', async () => {
  const ck = await openCheckpoint(path.join(fixtureDir, 'external_bad.onnx'));
  assert.deepEqual(ck.tensors.map((t) => t.name), ['escape', 'missing', 'ok']);
  assert.ok(ck.warnings.some((w) => /escape.*refused/.test(w)), ck.warnings.join('; '));
  assert.ok(ck.warnings.some((w) => /missing.*nowhere\.bin is missing/.test(w)), ck.warnings.join('; '));
  for (const name of ['escape', 'missing']) {
    const t = ck.tensors.find((x) => x.name === name);
    assert.ok(t);
    await assert.rejects(readDense(t), UnreadableError);
  }
  await ck.close();
});
