/**
 * The mutations of the opt-in mutation run (test/hostile/mutations.ts): reproducible from the seed, and each
 * format-aware kind finds and edits what it claims to (the run itself, thousands of CLI calls, is not in CI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MUTATIONS, mulberry32, mutate, pickleOps, pickleRegions } from '../hostile/mutations';
import { concat, npyHeader, payloadPickle, safetensors, torchStateDictPickle, torchZip } from '../hostile/bytes';

const kind = (k: string) => {
  const m = MUTATIONS.find((x) => x.kind === k);
  assert.ok(m, k);
  return m;
};

test('the same seed gives the same mutant', () => {
  const b = torchZip(torchStateDictPickle(3, 4, 4), 16);
  for (let s = 1; s < 50; s++) {
    const a = mutate(b, mulberry32(s));
    const c = mutate(b, mulberry32(s));
    assert.deepEqual([a.kind, a.what, Buffer.from(a.bytes).toString('hex')], [c.kind, c.what, Buffer.from(c.bytes).toString('hex')]);
  }
});

test('pickle opcodes are walked whole, in plain pickles and in stored zip members', () => {
  const pkl = payloadPickle('/tmp/canary');
  const ops = pickleOps(pkl);
  assert.equal(ops[0][0], 0);
  assert.equal(ops[ops.length - 1][1], pkl.length, 'the walk ends at STOP, the last byte');
  assert.equal(pkl[ops[ops.length - 1][0]], 0x2e);
  const zipped = torchZip(torchStateDictPickle(2, 4, 4), 16);
  const [region] = pickleRegions(zipped);
  assert.ok(region?.inZip);
  const zops = pickleOps(zipped, region.start, region.end);
  assert.equal(zops[zops.length - 1][1], region.end);
  // inside a zip the member keeps its length whatever is done to its opcodes
  const m = kind('pickle-opcodes');
  for (let s = 0; s < 20; s++) assert.equal(m.apply(zipped, mulberry32(s)).bytes.length, zipped.length);
});

test('safetensors header edits keep the length field honest unless that is the edit', () => {
  const b = safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12);
  const m = kind('safetensors-json');
  assert.ok(m.applies(b));
  for (let s = 0; s < 40; s++) {
    const out = m.apply(b, mulberry32(s));
    const n = Number(new DataView(out.bytes.buffer).getBigUint64(0, true));
    if (/header length/.test(out.what)) continue;
    assert.ok(out.what.length > 0);
    JSON.parse(Buffer.from(out.bytes.subarray(8, 8 + n)).toString('utf8'));
    assert.equal(out.bytes.length - 8 - n, 12, out.what);
  }
});

test('npy header edits rewrite the dict and its length', () => {
  const b = concat([npyHeader('<f4', [4]), new Uint8Array(16)]);
  const m = kind('npy-header');
  assert.ok(m.applies(b));
  let dictEdits = 0;
  for (let s = 0; s < 40; s++) {
    const out = m.apply(b, mulberry32(s));
    if (/version|header length/.test(out.what)) continue;
    dictEdits++;
    const len = new DataView(out.bytes.buffer).getUint16(8, true);
    assert.equal(out.bytes.length - 10 - len, 16, out.what);
  }
  assert.ok(dictEdits > 10);
});

test('zip field edits change one header field', () => {
  const b = torchZip(torchStateDictPickle(1, 4, 4), 16);
  for (const k of ['zip-local', 'zip-central', 'zip-end-record']) {
    const m = kind(k);
    assert.ok(m.applies(b), k);
    const out = m.apply(b, mulberry32(7));
    assert.equal(out.bytes.length, b.length, k);
    assert.match(out.what, /^zip /);
  }
  assert.ok(!kind('zip-local').applies(new Uint8Array(100)));
});
