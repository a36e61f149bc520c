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
 *     names: readonly string[]                     their names (the same array every time)
 *     get(name): ZipEntry | undefined
 *     source(entry): ByteSource                    lazy, no I/O until read
 *     entryFile(entry, maxInflate?)               a nested archive as a file (window when stored; inflated up to 128 MiB)
 *     readEntry(entry, maxBytes?): Promise<Uint8Array>   whole entry (refuses above maxBytes; default 1 GiB)
 *     close(): Promise<void>
 *   readZipFile(path, read, options?)              the archive (options.detected's, else opened) handed to `read`
 *   zipDirectoryReads(): number                    directories read so far in this process
 * Errors are UnreadableError with a one-line reason.
 */
import type { ByteSource, OpenOptions } from './model';
import { UnreadableError } from './model';
import { latin1Text, utf8Text } from './bufferText';
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
/** stored entries up to this size are read whole with their local header, in one read */
const ONE_READ_MAX = 64 << 20;
/** room for the local header's name and extra field in that read (torch pads to 64-byte alignment) */
const LOCAL_SLACK = 1024;

let directoryReads = 0;

/** How many zip directories were read in this process (a test checks each file's is read once). */
export function zipDirectoryReads(): number {
  return directoryReads;
}

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
  /** one source per distinct stored bytes (see source()) */
  private readonly sources = new Map<string, ByteSource>();

  private constructor(readonly file: RandomAccessFile, entries: ZipEntry[]) {
    this.entries = entries;
    const byName = this.byName;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!byName.has(e.name)) byName.set(e.name, e);
    }
  }

  get path(): string {
    return this.file.path;
  }

  private memberNames: readonly string[] | undefined;

  /** the members' names in directory order (one array per archive, so name questions about it are cached) */
  get names(): readonly string[] {
    return (this.memberNames ??= this.entries.map((e) => e.name));
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
    directoryReads++;
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

  /**
   * Lazy bytes of an entry (inflated when deflated). Entries whose directory records point at the same
   * bytes (a hostile archive listing one member under 200 names) share one source, so its bytes are
   * read, inflated and summarized once.
   */
  source(entry: ZipEntry): ByteSource {
    const key = `${entry.localHeaderOffset}:${entry.method}:${entry.compressedSize}:${entry.size}:${entry.flags}`;
    let s = this.sources.get(key);
    if (!s) {
      s = this.makeSource(entry);
      this.sources.set(key, s);
    }
    return s;
  }

  private makeSource(entry: ZipEntry): ByteSource {
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
  async entryFile(entry: ZipEntry, maxInflate = 128 << 20): Promise<RandomAccessFile> {
    const label = `${entry.name} in ${this.file.path}`;
    if (entry.method === 0) return new WindowFile(this.file, await this.dataOffset(entry), entry.size, label);
    return new MemoryFile(await this.readEntry(entry, maxInflate), label);
  }

  async readEntry(entry: ZipEntry, maxBytes = 1 << 30): Promise<Uint8Array> {
    if (entry.size === 0) return new Uint8Array(0);
    if (entry.method === 0 && !(entry.flags & 1) && entry.size <= Math.min(maxBytes, ONE_READ_MAX) && !this.dataOffsets.has(entry)) {
      // a stored entry read whole (a pickle, a small text): its local header and bytes in one read
      const h = await this.file.read(entry.localHeaderOffset, 30 + LOCAL_SLACK + entry.size);
      if (h.length >= 30 && h[0] === 0x50 && h[1] === 0x4b && h[2] === 3 && h[3] === 4) {
        const start = 30 + (h[26] | (h[27] << 8)) + (h[28] | (h[29] << 8));
        const dataStart = entry.localHeaderOffset + start;
        if (start + entry.size <= h.length && dataStart + entry.compressedSize <= this.file.size) {
          this.dataOffsets.set(entry, Promise.resolve(dataStart));
          return h.subarray(start, start + entry.size);
        }
      }
      // a header longer than the slack, or something wrong: the usual path says what
    }
    return readAll(this.source(entry), maxBytes);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/**
 * The central directory's records. One per member, thousands in a torch.save archive, so the fixed
 * fields are read with byte arithmetic and the names with Buffer's native decoders.
 */
function parseCentral(cd: Uint8Array, total: number, delta: number, fileSize: number): ZipEntry[] {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const buf = Buffer.from(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  const n = cd.length;
  let pos = 0;
  for (let i = 0; i < total; i++) {
    const p = pos;
    if (p + 46 > n || cd[p] !== 0x50 || cd[p + 1] !== 0x4b || cd[p + 2] !== 1 || cd[p + 3] !== 2) {
      throw new UnreadableError(`zip central directory corrupt at entry ${i}`);
    }
    const flags = cd[p + 8] | (cd[p + 9] << 8);
    const method = cd[p + 10] | (cd[p + 11] << 8);
    const crc32 = (cd[p + 16] | (cd[p + 17] << 8) | (cd[p + 18] << 16) | (cd[p + 19] << 24)) >>> 0;
    let compressedSize = (cd[p + 20] | (cd[p + 21] << 8) | (cd[p + 22] << 16) | (cd[p + 23] << 24)) >>> 0;
    let size = (cd[p + 24] | (cd[p + 25] << 8) | (cd[p + 26] << 16) | (cd[p + 27] << 24)) >>> 0;
    const nameLen = cd[p + 28] | (cd[p + 29] << 8);
    const extraLen = cd[p + 30] | (cd[p + 31] << 8);
    const commentLen = cd[p + 32] | (cd[p + 33] << 8);
    let localHeaderOffset = (cd[p + 42] | (cd[p + 43] << 8) | (cd[p + 44] << 16) | (cd[p + 45] << 24)) >>> 0;
    const nameStart = p + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > n) throw new UnreadableError(`zip central directory corrupt at entry ${i}`);
    const utf8 = (flags & 0x800) !== 0;
    const name = utf8 ? utf8Text(buf, nameStart, extraStart) : latin1Text(buf, nameStart, extraStart);
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
export async function readZipFile<T>(path: string, read: (zip: ZipArchive) => Promise<T>, options?: OpenOptions): Promise<T> {
  const detected = options?.detected?.zip;
  if (detected instanceof ZipArchive) {
    // the directory open.ts read while detecting: not read again
    try {
      return await read(detected);
    } catch (err) {
      await detected.close();
      throw err;
    }
  }
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
