// The zip reader: stored and deflated entries read lazily at any offset, ZIP64 records, leading junk,
// archive comments, corrupt archives. Archives are built here byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ZipArchive } from '../../src/core/zip';
import { SharedFile, bufferSource, inflateCacheBytesHeld, inflateSource } from '../../src/core/byteSource';
import { UnreadableError } from '../../src/core/model';

interface Member { name: string; data: Uint8Array; deflate?: boolean; zip64?: boolean; localExtra?: number }

function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; }
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; }
function u64(n: number): Buffer { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; }

/** A zip archive; `zip64` members get 0xFFFFFFFF sizes/offsets with a ZIP64 extra; `zip64End` adds the ZIP64 end records. */
function makeZip(members: Member[], opts: { junk?: number; comment?: string; zip64End?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  const push = (b: Buffer): void => { parts.push(b); pos += b.length; };
  if (opts.junk) push(Buffer.alloc(opts.junk, 0x5a));
  const central: Buffer[] = [];
  for (const m of members) {
    const body = m.deflate ? zlib.deflateRawSync(m.data) : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    const offset = pos;
    const extra = Buffer.alloc(m.localExtra ?? 0, 0);
    if (extra.length >= 4) { extra.writeUInt16LE(0xcafe, 0); extra.writeUInt16LE(extra.length - 4, 2); }
    push(Buffer.concat([u32(0x04034b50), u16(45), u16(0x800), u16(m.deflate ? 8 : 0), u16(0), u16(0), u32(zlib.crc32 ? zlib.crc32(m.data) : 0),
      u32(body.length), u32(m.data.length), u16(name.length), u16(extra.length), name, extra]));
    push(body);
    const z64 = m.zip64 ? Buffer.concat([u16(1), u16(24), u64(m.data.length), u64(body.length), u64(offset - (opts.junk ?? 0))]) : Buffer.alloc(0);
    central.push(Buffer.concat([u32(0x02014b50), u16(45), u16(45), u16(0x800), u16(m.deflate ? 8 : 0), u16(0), u16(0), u32(0),
      u32(m.zip64 ? 0xffffffff : body.length), u32(m.zip64 ? 0xffffffff : m.data.length), u16(name.length), u16(z64.length), u16(0),
      u16(0), u16(0), u32(0), u32(m.zip64 ? 0xffffffff : offset - (opts.junk ?? 0)), name, z64]));
  }
  const cdStart = pos;
  const cd = Buffer.concat(central);
  push(cd);
  const comment = Buffer.from(opts.comment ?? '', 'utf8');
  if (opts.zip64End) {
    const recPos = pos;
    push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(members.length), u64(members.length),
      u64(cd.length), u64(cdStart - (opts.junk ?? 0))]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(recPos - (opts.junk ?? 0)), u32(1)]));
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(comment.length), comment]));
  } else {
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(cd.length),
      u32(cdStart - (opts.junk ?? 0)), u16(comment.length), comment]));
  }
  return Buffer.concat(parts);
}

const dir = mkdtempSync(path.join(tmpdir(), 'ts-zip-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(buf: Buffer): string {
  const p = path.join(dir, `z${n++}.zip`);
  writeFileSync(p, buf);
  return p;
}

const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 2654435761) >>> 24);

test('stored and deflated entries read whole and at arbitrary offsets', async () => {
  const p = write(makeZip([
    { name: 'a/data.pkl', data: Buffer.from('hello') },
    { name: 'a/data/0', data: big, localExtra: 40 },
    { name: 'a/data/1', data: big, deflate: true },
    { name: 'a/empty', data: new Uint8Array(0) },
  ], { comment: 'a comment' }));
  const zip = await ZipArchive.open(p);
  try {
    assert.deepEqual(zip.entries.map((e) => e.name), ['a/data.pkl', 'a/data/0', 'a/data/1', 'a/empty']);
    assert.equal(Buffer.from(await zip.readEntry(zip.get('a/data.pkl')!)).toString(), 'hello');
    for (const name of ['a/data/0', 'a/data/1']) {
      const src = zip.source(zip.get(name)!);
      assert.equal(src.size, big.length);
      for (const [off, len] of [[0, 10], [1_000_003, 5000], [big.length - 7, 100], [2_500_000, 700_000]]) {
        const got = await src.read(off, len);
        assert.deepEqual(Buffer.from(got), Buffer.from(big.subarray(off, off + len)), `${name} @${off}`);
      }
      const chunks: Uint8Array[] = [];
      for await (const c of src.chunks!(100, big.length, 1 << 18)) chunks.push(c);
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(big.subarray(100)));
    }
    assert.equal((await zip.readEntry(zip.get('a/empty')!)).length, 0);
  } finally {
    await zip.close();
  }
});

test('ZIP64 extras and end records, and bytes before the archive', async () => {
  const p = write(makeZip([
    { name: 'x/data.pkl', data: Buffer.from('pk'), zip64: true },
    { name: 'x/data/0', data: big.subarray(0, 1000), zip64: true, deflate: true },
  ], { junk: 333, zip64End: true }));
  const zip = await ZipArchive.open(p);
  try {
    assert.equal(zip.entries.length, 2);
    const e = zip.get('x/data/0')!;
    assert.equal(e.size, 1000);
    assert.deepEqual(Buffer.from(await zip.readEntry(e)), Buffer.from(big.subarray(0, 1000)));
    assert.equal(Buffer.from(await zip.readEntry(zip.get('x/data.pkl')!)).toString(), 'pk');
  } finally {
    await zip.close();
  }
});

test('truncated and corrupt archives fail with UnreadableError', async () => {
  const good = makeZip([{ name: 'a/data.pkl', data: Buffer.from('hello') }, { name: 'a/data/0', data: big.subarray(0, 5000), deflate: true }]);
  for (const cut of [10, 100, good.length - 30, good.length - 1]) {
    await assert.rejects(ZipArchive.open(write(good.subarray(0, cut))), UnreadableError, `cut at ${cut}`);
  }
  // a directory that points past the end of the file
  const bad = Buffer.from(good);
  bad.writeUInt32LE(0x7fffffff, bad.length - 6);
  await assert.rejects(ZipArchive.open(write(bad)), UnreadableError);
  // corrupt deflate data: reading fails cleanly
  const corrupt = Buffer.from(good);
  const at = corrupt.indexOf(Buffer.from('a/data/0')) + 8;
  corrupt.fill(0xff, at, at + 200);
  const zip = await ZipArchive.open(write(corrupt));
  try {
    await assert.rejects(zip.readEntry(zip.get('a/data/0')!), UnreadableError);
  } finally {
    await zip.close();
  }
  await assert.rejects(SharedFile.open(path.join(dir, 'missing.zip')), UnreadableError);
});

test('inflateSource over a buffer streams without the whole output', async () => {
  const raw = zlib.deflateRawSync(big);
  const src = inflateSource(bufferSource(raw), big.length, 'test');
  let total = 0;
  for await (const c of src.chunks!(0, big.length, 65536)) {
    assert.ok(c.length <= 65536);
    total += c.length;
  }
  assert.equal(total, big.length);
});

test('inflated entries share one bounded cache', async () => {
  const chunk = big.subarray(0, 3 << 20);
  const raw = zlib.deflateRawSync(chunk);
  for (let i = 0; i < 20; i++) {
    const src = inflateSource(bufferSource(raw), chunk.length, `s${i}`);
    assert.deepEqual(Buffer.from(await src.read(1000, 10)), Buffer.from(chunk.subarray(1000, 1010)));
    assert.ok(inflateCacheBytesHeld() <= 32 << 20, `cache holds ${inflateCacheBytesHeld()}`);
  }
});
