/**
 * A read-only zip reader that reads the central directory only (one read for the tail, one for the
 * directory) and hands out lazy ByteSources per entry: file regions for stored entries, streaming
 * inflaters for deflated ones. ZIP64, archive comments and leading junk (bytes before the archive)
 * are handled. Local headers are read only when an entry's bytes are first requested.
 *
 * Public API
 *   looksLikeZip(head): boolean                    `PK\x03\x04` / `PK\x05\x06` at the start
 *   class ZipArchive
 *     static open(path): Promise<ZipArchive>       opens the file, reads the directory
 *     static fromFile(file: RandomAccessFile)      the same over an open file / window / memory (takes a reference)
 *     entries: ZipEntry[]                          in directory order
 *     get(name): ZipEntry | undefined
 *     source(entry): ByteSource                    lazy, no I/O until read
 *     entryFile(entry): Promise<RandomAccessFile>  a nested archive as a file (window when stored)
 *     readEntry(entry, maxBytes?): Promise<Uint8Array>   whole entry (refuses above maxBytes; default 1 GiB)
 *     close(): Promise<void>
 * Errors are UnreadableError with a one-line reason.
 */
import type { ByteSource } from './model';
import { UnreadableError } from './model';
import { MemoryFile, SharedFile, WindowFile, inflateSource, lazyFileRegion, readAll, type RandomAccessFile } from './byteSource';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  compressedSize: number;
  /** uncompressed size */
  size: number;
  crc32: number;
  /** offset of the local header (already corrected for leading junk) */
  localHeaderOffset: number;
  /** general purpose flags; bit 0 = encrypted */
  flags: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

function u64(view: DataView, pos: number, what: string): number {
  const lo = view.getUint32(pos, true);
  const hi = view.getUint32(pos + 4, true);
  if (hi >= 0x200000) throw new UnreadableError(`zip ${what} too large`);
  return hi * 0x100000000 + lo;
}

export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly byName = new Map<string, ZipEntry>();
  private readonly dataOffsets = new Map<ZipEntry, Promise<number>>();

  private constructor(readonly file: RandomAccessFile, entries: ZipEntry[]) {
    this.entries = entries;
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  get path(): string {
    return this.file.path;
  }

  static async open(path: string): Promise<ZipArchive> {
    const file = await SharedFile.open(path);
    try {
      return await ZipArchive.fromFile(file);
    } finally {
      await file.close();
    }
  }

  static async fromFile(file: RandomAccessFile): Promise<ZipArchive> {
    const size = file.size;
    if (size < 22) throw new UnreadableError('not a zip archive (too short)');
    const tailLen = Math.min(size, 22 + 0xffff + 20);
    const tailStart = size - tailLen;
    const tail = await file.read(tailStart, tailLen);
    const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD) {
        const commentLen = tv.getUint16(i + 20, true);
        if (i + 22 + commentLen <= tail.length) { eocd = i; break; }
      }
    }
    if (eocd < 0) throw new UnreadableError('zip end-of-central-directory record not found (truncated or not a zip)');
    let total = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    let cdEnd = tailStart + eocd; // where the directory should end (before the EOCD / zip64 records)
    const needs64 = total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
    if (eocd >= 20 && tv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
      const z64Offset = u64(tv, eocd - 20 + 8, 'zip64 offset');
      const rec = await file.read(z64Offset, 56);
      const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      let recPos = z64Offset;
      let rview = rv;
      if (rec.length < 56 || rv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
        // leading junk: the zip64 record sits right before the locator
        const guess = tailStart + eocd - 20 - 56;
        const rec2 = guess >= 0 ? await file.read(guess, 56) : new Uint8Array(0);
        const rv2 = new DataView(rec2.buffer, rec2.byteOffset, rec2.byteLength);
        if (rec2.length < 56 || rv2.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new UnreadableError('zip64 end record not found');
        recPos = guess;
        rview = rv2;
      }
      total = u64(rview, 32, 'entry count');
      cdSize = u64(rview, 40, 'directory size');
      cdOffset = u64(rview, 48, 'directory offset');
      cdEnd = recPos;
    } else if (needs64) {
      throw new UnreadableError('zip64 locator missing');
    }
    const cdStart = cdEnd - cdSize;
    if (cdStart < 0 || cdSize > size) throw new UnreadableError('zip central directory out of range (truncated file?)');
    const delta = cdStart - cdOffset; // bytes prepended before the archive (0 normally)
    if (total > cdSize / 46 + 1) throw new UnreadableError('zip entry count inconsistent with directory size');
    const cd = await file.read(cdStart, cdSize);
    if (cd.length < cdSize) throw new UnreadableError('zip central directory truncated');
    const entries = parseCentral(cd, total, delta, size);
    return new ZipArchive(file.retain(), entries);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  private dataOffset(entry: ZipEntry): Promise<number> {
    let p = this.dataOffsets.get(entry);
    if (!p) {
      p = (async () => {
        const h = await this.file.read(entry.localHeaderOffset, 30);
        const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
        if (h.length < 30 || hv.getUint32(0, true) !== SIG_LOCAL) {
          throw new UnreadableError(`zip local header of ${entry.name} is missing or corrupt`);
        }
        const start = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
        if (start + entry.compressedSize > this.file.size) throw new UnreadableError(`zip entry ${entry.name} is truncated`);
        return start;
      })();
      this.dataOffsets.set(entry, p);
    }
    return p;
  }

  /** Lazy bytes of an entry (inflated when deflated). */
  source(entry: ZipEntry): ByteSource {
    if (entry.flags & 1) throw new UnreadableError(`zip entry ${entry.name} is encrypted`);
    if (entry.method === 0) {
      return lazyFileRegion(this.file, () => this.dataOffset(entry), entry.size, () => `${entry.name} in ${this.file.path}`);
    }
    if (entry.method === 8) {
      const label = `${entry.name} in ${this.file.path}`;
      const raw = lazyFileRegion(this.file, () => this.dataOffset(entry), entry.compressedSize, `raw ${label}`);
      return inflateSource(raw, entry.size, label);
    }
    throw new UnreadableError(`zip entry ${entry.name} uses unsupported compression method ${entry.method}`);
  }

  /** An entry as a file of its own (a nested archive): a window when stored, inflated into memory when not. */
  async entryFile(entry: ZipEntry, maxInflate = 1 << 30): Promise<RandomAccessFile> {
    const label = `${entry.name} in ${this.file.path}`;
    if (entry.method === 0) return new WindowFile(this.file, await this.dataOffset(entry), entry.size, label);
    return new MemoryFile(await this.readEntry(entry, maxInflate), label);
  }

  async readEntry(entry: ZipEntry, maxBytes = 1 << 30): Promise<Uint8Array> {
    if (entry.size === 0) return new Uint8Array(0);
    return readAll(this.source(entry), maxBytes);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

function parseCentral(cd: Uint8Array, total: number, delta: number, fileSize: number): ZipEntry[] {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const buf = Buffer.from(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let pos = 0;
  for (let i = 0; i < total; i++) {
    if (pos + 46 > cd.length || view.getUint32(pos, true) !== SIG_CENTRAL) {
      throw new UnreadableError(`zip central directory corrupt at entry ${i}`);
    }
    const flags = view.getUint16(pos + 8, true);
    const method = view.getUint16(pos + 10, true);
    const crc32 = view.getUint32(pos + 16, true);
    let compressedSize = view.getUint32(pos + 20, true);
    let size = view.getUint32(pos + 24, true);
    const nameLen = view.getUint16(pos + 28, true);
    const extraLen = view.getUint16(pos + 30, true);
    const commentLen = view.getUint16(pos + 32, true);
    let localHeaderOffset = view.getUint32(pos + 42, true);
    const nameStart = pos + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > cd.length) throw new UnreadableError(`zip central directory corrupt at entry ${i}`);
    const name = buf.toString((flags & 0x800) ? 'utf8' : 'latin1', nameStart, extraStart);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let e = extraStart;
      const extraEnd = extraStart + extraLen;
      while (e + 4 <= extraEnd) {
        const id = view.getUint16(e, true);
        const len = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let f = e + 4;
          if (size === 0xffffffff && f + 8 <= e + 4 + len) { size = u64(view, f, 'entry size'); f += 8; }
          if (compressedSize === 0xffffffff && f + 8 <= e + 4 + len) { compressedSize = u64(view, f, 'entry size'); f += 8; }
          if (localHeaderOffset === 0xffffffff && f + 8 <= e + 4 + len) { localHeaderOffset = u64(view, f, 'entry offset'); f += 8; }
          break;
        }
        e += 4 + len;
      }
    }
    localHeaderOffset += delta;
    if (localHeaderOffset < 0 || localHeaderOffset + 30 > fileSize) {
      throw new UnreadableError(`zip entry ${name} points outside the file (truncated?)`);
    }
    entries.push({ name, method, compressedSize, size, crc32, localHeaderOffset, flags });
    pos = next;
  }
  return entries;
}

/**
 * Open the zip archive at `path` and hand it to `read`. On success the result owns the archive (a checkpoint
 * closes it in its `close()`); when `read` throws, the archive is closed before the error goes on.
 */
export async function readZipFile<T>(path: string, read: (zip: ZipArchive) => Promise<T>): Promise<T> {
  const file = await SharedFile.open(path);
  try {
    const zip = await ZipArchive.fromFile(file);
    try {
      return await read(zip);
    } catch (err) {
      await zip.close();
      throw err;
    }
  } finally {
    await file.close();
  }
}
