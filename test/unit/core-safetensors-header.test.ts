/**
 * The safetensors header read entry by entry (src/core/formats/safetensorsHeader.ts): JSON's grammar,
 * the checks JSON.parse + validation made before, file order, shared frozen shapes; and the reader's refusal
 * of a name given twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSafetensorsHeader, type SafetensorsEntry } from '../../src/core/formats/safetensorsHeader';
import { openCheckpoint } from '../../src/core/open';
import { firstDuplicate } from '../../src/core/duplicateNames';

const enc = new TextEncoder();
async function read(json: string, dataSize = 1 << 20): Promise<{ entries: SafetensorsEntry[]; metadata: Record<string, string> }> {
  const bytes = enc.encode(json);
  const entries: SafetensorsEntry[] = [];
  const metadata = await readSafetensorsHeader(async (o, l) => bytes.slice(o, o + l), bytes.length, dataSize, (e) => entries.push(e));
  return { entries, metadata };
}

test('entries in file order, metadata anywhere, unknown keys and escapes, equal shapes shared and frozen', async () => {
  const { entries, metadata } = await read(` { "b\\u00e9\\n" : {"shape":[2, 3],"dtype":"F32","data_offsets":[0,24],"extra":{"x":[1,{"y":"]}"}]}},
    "__metadata__": {"format":"pt","n":3}, "10": {"dtype":"I64","shape":[2,3],"data_offsets":[24,72]}, "a": {"dtype":"BOOL","shape":[],"data_offsets":[72,73]} } `);
  assert.deepEqual(entries.map((e) => e.name), ['bé\n', '10', 'a']);
  assert.deepEqual(metadata, { format: 'pt', n: '3' });
  assert.equal(entries[0].shape, entries[1].shape);
  assert.ok(Object.isFrozen(entries[0].shape));
  assert.deepEqual([entries[1].dtype, entries[1].begin, entries[1].end], ['int64', 24, 72]);
  assert.deepEqual(entries[2].shape, []);
});

test('the checks: dtype, shape, offsets, sizes, truncation', async () => {
  const bad: Array<[string, RegExp]> = [
    ['{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', /tensor w has unknown dtype "F99"/],
    ['{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}', /unknown dtype 7/],
    ['{"w":{"shape":[1],"data_offsets":[0,4]}}', /unknown dtype undefined/],
    ['{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,4]}}', /invalid shape/],
    ['{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', /invalid shape/],
    ['{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}', /invalid shape/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', /invalid data_offsets/],
    ['{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', /do not match F32\[2\] \(8 bytes\)/],
    ['{"w":[1]}', /entry w is not an object/],
  ];
  for (const [json, message] of bad) await assert.rejects(read(json), message, json);
  await assert.rejects(read('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 2), /ends at byte 4 of a 2-byte data section/);
});

test('not JSON: one line with the byte where it went wrong', async () => {
  for (const json of ['{"w":{"dtype":"F32"', '{"w" {}}', '{} x', '[1]', '{"a\x01":1}', '{"w":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}']) {
    await assert.rejects(read(json), (e: Error) => /header is not valid JSON|not an object/.test(e.message) && !e.message.includes('\n'), json);
  }
  await assert.rejects(read('{"w" {}}'), /expected ':', found '\{' at byte 5/);
});

test('a header far larger than the window: every entry once, long names and metadata across window ends', async () => {
  const n = 60_000;
  const long = 'x'.repeat(3 << 20); // one name longer than the window
  const parts = [`"${long}":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`];
  for (let i = 1; i < n; i++) parts.push(`"layer.${i}.weight":{"dtype":"F32","shape":[1],"data_offsets":[${i * 4},${i * 4 + 4}]}`);
  parts.splice(30_000, 0, `"__metadata__":{"format":"pt","note":"${'y'.repeat(2 << 20)}"}`);
  const { entries, metadata } = await read(`{${parts.join(',   ')}}   `, n * 4);
  assert.equal(entries.length, n);
  assert.equal(entries[0].name.length, 3 << 20);
  assert.deepEqual(entries.slice(1, 3).map((e) => e.name), ['layer.1.weight', 'layer.2.weight']);
  assert.equal(new Set(entries.map((e) => e.name)).size, n);
  assert.equal(metadata.format, 'pt');
  await assert.rejects(read(`{${parts.slice(0, 5000).join(',')}} x`, n * 4), /expected the end of the header, found 'x' at byte \d{6,}/);
});

test('a name given twice in one file is refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ts-st-'));
  const header = enc.encode('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}');
  const buf = Buffer.alloc(8 + header.length + 8);
  buf.writeUInt32LE(header.length, 0);
  buf.set(header, 8);
  const p = path.join(dir, 'dup.safetensors');
  writeFileSync(p, buf);
  await assert.rejects(openCheckpoint(p), /tensor w appears twice in the header/);
});

test('firstDuplicate: the first name given again, by sorted hashes; none in distinct names', () => {
  const names = Array.from({ length: 50_000 }, (_, i) => `layer.${i}.weight`);
  assert.equal(firstDuplicate(names.length, (i) => names[i]), undefined);
  const withTwo = [...names.slice(0, 30_000), 'layer.7.weight', ...names.slice(30_000), 'layer.3.weight'];
  assert.equal(firstDuplicate(withTwo.length, (i) => withTwo[i]), 'layer.7.weight');
  assert.equal(firstDuplicate(3, (i) => ['', 'a', ''][i]), '');
  assert.equal(firstDuplicate(0, () => ''), undefined);
});
