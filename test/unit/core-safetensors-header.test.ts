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

const enc = new TextEncoder();
function read(json: string, dataSize = 1 << 20): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  const entries: SafetensorsEntry[] = [];
  const metadata = readSafetensorsHeader(enc.encode(json), dataSize, (e) => entries.push(e));
  return { entries, metadata };
}

test('entries in file order, metadata anywhere, unknown keys and escapes, equal shapes shared and frozen', () => {
  const { entries, metadata } = read(` { "b\\u00e9\\n" : {"shape":[2, 3],"dtype":"F32","data_offsets":[0,24],"extra":{"x":[1,{"y":"]}"}]}},
    "__metadata__": {"format":"pt","n":3}, "10": {"dtype":"I64","shape":[2,3],"data_offsets":[24,72]}, "a": {"dtype":"BOOL","shape":[],"data_offsets":[72,73]} } `);
  assert.deepEqual(entries.map((e) => e.name), ['bé\n', '10', 'a']);
  assert.deepEqual(metadata, { format: 'pt', n: '3' });
  assert.equal(entries[0].shape, entries[1].shape);
  assert.ok(Object.isFrozen(entries[0].shape));
  assert.deepEqual([entries[1].dtype, entries[1].begin, entries[1].end], ['int64', 24, 72]);
  assert.deepEqual(entries[2].shape, []);
});

test('the checks: dtype, shape, offsets, sizes, truncation', () => {
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
  for (const [json, message] of bad) assert.throws(() => read(json), message, json);
  assert.throws(() => read('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 2), /ends at byte 4 of a 2-byte data section/);
});

test('not JSON: one line with the byte where it went wrong', () => {
  for (const json of ['{"w":{"dtype":"F32"', '{"w" {}}', '{} x', '[1]', '{"a\x01":1}', '{"w":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}']) {
    assert.throws(() => read(json), (e: Error) => /header is not valid JSON|not an object/.test(e.message) && !e.message.includes('\n'), json);
  }
  assert.throws(() => read('{"w" {}}'), /expected ':', found '\{' at byte 5/);
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
