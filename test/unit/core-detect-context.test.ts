// One detection context for readers: open.ts reads a zip's directory once and hands it to the reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../src/core/open';
import { zipDirectoryReads } from '../../src/core/zip';

const corpus = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus', 'torch2.11');

for (const [file, format] of [['views.pt', 'torch-zip'], ['scripted.pt', 'torchscript'], ['exported.pt2', 'torch-export'], ['masks.npz', 'npz'], ['masks_compressed.npz', 'npz']] as const) {
  test(`${file} (${format}): its zip directory is read once`, { skip: !existsSync(path.join(corpus, file)) && 'corpus absent' }, async () => {
    const before = zipDirectoryReads();
    const ck = await openCheckpoint(path.join(corpus, file));
    try {
      assert.equal(ck.format, format);
      assert.ok(ck.tensors.length > 0);
      assert.equal(zipDirectoryReads() - before, 1);
    } finally {
      await ck.close();
    }
  });
}
