/**
 * Lazy byte access: files opened once and read by position, regions of them, buffers, and streaming
 * inflaters for deflated zip entries. Nothing here reads more than it is asked for.
 *
 * Public API
 *   class SharedFile                    one open file handle, reference counted
 *     static open(path): Promise<SharedFile>
 *     size: number; path: string
 *     read(position, length): Promise<Uint8Array>      fewer bytes only at end of file
 *     retain(): this;  close(): Promise<void>          the handle closes when the last user closes
 *   interface RandomAccessFile; class WindowFile (a window of a file); class MemoryFile (bytes)
 *   fileRegion(file, offset, length, label?): ByteSource          a window of a file
 *   class FileRegionStorage                                        a storage that is a window of a file (its own source)
 *   lazyFileRegion(file, resolve, length, label): ByteSource      a window whose start is found on first use
 *   bufferSource(bytes, label?): ByteSource                       bytes already in memory
 *   inflateSource(raw, size, label): ByteSource                   raw-deflate bytes of `raw`, inflated on demand
 *   subSource(source, offset, length, label?): ByteSource         a window of another source
 *   readAll(source, maxBytes?): Promise<Uint8Array>               the whole source (refuses above maxBytes)
 *   inflateCacheBytesHeld(): number                               bytes held by the shared inflate cache
 */
import { promises as fsp } from 'node:fs';
import type * as Zlib from 'node:zlib';
import type * as Stream from 'node:stream';
import type { ByteSource, StorageInfo } from './model';
import type { DTypeName } from './dtype';
import { UnreadableError } from './model';
import { openRegular } from './fileGuard';

// zlib and streams are loaded on the first inflate: a CLI run over stored entries never needs them, and
// loading them costs every run a few milliseconds
let zlibModule: typeof Zlib | undefined;
let streamModule: typeof Stream | undefined;
const nodeZlib = (): typeof Zlib => (zlibModule ??= require('node:zlib') as typeof Zlib);
const nodeStream = (): typeof Stream => (streamModule ??= require('node:stream') as typeof Stream);

/** Positioned reads over a file or a window of one (a stored zip entry holding another archive). */
export interface RandomAccessFile {
  readonly path: string;
  readonly size: number;
  read(position: number, length: number): Promise<Uint8Array>;
  retain(): RandomAccessFile;
  close(): Promise<void>;
  /** true when every `read` returns new memory the caller owns (positioned reads of a real file) */
  readonly readsFresh?: boolean;
}

/** A window `[offset, offset + size)` of another file, itself a RandomAccessFile. */
export class WindowFile implements RandomAccessFile {
  constructor(private readonly base: RandomAccessFile, private readonly offset: number, readonly size: number, readonly path: string) {}
  get readsFresh(): boolean {
    return this.base.readsFresh === true;
  }
  read(position: number, length: number): Promise<Uint8Array> {
    const len = Math.max(0, Math.min(length, this.size - position));
    return this.base.read(this.offset + position, len);
  }
  retain(): this {
    this.base.retain();
    return this;
  }
  close(): Promise<void> {
    return this.base.close();
  }
}

/** Bytes in memory as a RandomAccessFile. */
export class MemoryFile implements RandomAccessFile {
  constructor(private readonly bytes: Uint8Array, readonly path: string) {}
  get size(): number {
    return this.bytes.length;
  }
  read(position: number, length: number): Promise<Uint8Array> {
    const s = Math.max(0, Math.min(position, this.bytes.length));
    return Promise.resolve(this.bytes.subarray(s, Math.min(this.bytes.length, s + Math.max(0, length))));
  }
  retain(): this {
    return this;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** reads of at most this many bytes go through a shared block (SharedFile.read) */
const SMALL_READ = 16 << 10;
const SMALL_BLOCK = 1 << 20;

export class SharedFile implements RandomAccessFile {
  /** each read is a new Buffer */
  readonly readsFresh = true;
  private refs = 1;
  private closed = false;

  private constructor(private readonly handle: fsp.FileHandle, readonly path: string, readonly size: number) {}

  /** a regular file only (links followed; FIFOs, devices, /proc and /sys refused: see fileGuard) */
  static async open(path: string): Promise<SharedFile> {
    const { handle, size } = await openRegular(path);
    return new SharedFile(handle, path, size);
  }

  retain(): this {
    this.refs++;
    return this;
  }

  /** the last block read for small reads: its start and bytes */
  private block: { start: number; bytes: Promise<Uint8Array> } | undefined = undefined;

  async read(position: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.path} is closed`);
    const len = Math.max(0, Math.min(length, this.size - position));
    // many small reads in a row (a file of 300k tiny tensors, read one by one) are served from one block read:
    // a positioned read per tensor costs a thread-pool round trip each. A copy, so the caller owns it.
    if (len > 0 && len <= SMALL_READ) {
      const start = position - (position % SMALL_BLOCK);
      if (position + len <= start + SMALL_BLOCK) {
        if (this.block?.start !== start) {
          const block = { start, bytes: this.readFresh(start, Math.min(SMALL_BLOCK, this.size - start)) };
          // a failed read is not kept: the next read tries again
          block.bytes.catch(() => { if (this.block === block) this.block = undefined; });
          this.block = block;
        }
        const bytes = await this.block.bytes;
        const from = position - start;
        if (from + len <= bytes.length) return Buffer.from(bytes.subarray(from, from + len));
      }
    }
    return this.readFresh(position, len);
  }

  private async readFresh(position: number, len: number): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const { bytesRead } = await this.handle.read(buf, done, len - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (--this.refs > 0) return;
    this.closed = true;
    await this.handle.close();
  }
}

function clampRange(size: number, offset: number, length: number): [number, number] {
  const start = Math.max(0, Math.min(offset, size));
  const end = Math.max(start, Math.min(size, offset + Math.max(0, length)));
  return [start, end];
}

async function* chunked(src: ByteSource, offset: number, length: number, chunkSize: number): AsyncIterable<Uint8Array> {
  const [start, end] = clampRange(src.size, offset, length);
  const step = Math.max(1, chunkSize);
  for (let pos = start; pos < end; pos += step) {
    const part = await src.read(pos, Math.min(step, end - pos));
    if (part.length === 0) return;
    yield part;
  }
}

/**
 * A window of a file. `label` may be a function, called only when a message needs it: a file of a million
 * tensors makes one region per tensor at open, so a region holds no closures and no label text of its own.
 */
export function fileRegion(file: RandomAccessFile, offset: number, length: number, label?: string | (() => string)): ByteSource {
  return new FileRegion(file, offset, length, label);
}

class FileRegion implements ByteSource {
  constructor(
    protected readonly file: RandomAccessFile,
    private readonly offset: number,
    readonly size: number,
    private readonly label: string | (() => string) | undefined,
  ) {}
  get readsFresh(): boolean {
    return this.file.readsFresh === true;
  }
  read(off: number, len: number): Promise<Uint8Array> {
    const [s, e] = clampRange(this.size, off, len);
    return this.file.read(this.offset + s, e - s);
  }
  chunks(off: number, len: number, chunkSize: number): AsyncIterable<Uint8Array> {
    return chunked(this, off, len, chunkSize);
  }
  describe(): string {
    if (this.label === undefined) return `bytes ${this.offset}..${this.offset + this.size} of ${this.file.path}`;
    return typeof this.label === 'string' ? this.label : this.label();
  }
}

/**
 * A storage whose bytes are one window of a file, the storage and its byte source in one object
 * (`source` is itself): a file of a million tensors, each its own storage, makes one object per tensor
 * for both. Described as `name in path`.
 */
export class FileRegionStorage extends FileRegion implements StorageInfo {
  readonly source: ByteSource;
  readonly device = 'cpu';
  readonly byteOrder = 'little' as const;
  constructor(
    readonly key: string,
    readonly dtype: DTypeName,
    file: RandomAccessFile,
    offset: number,
    readonly bytes: number,
    private readonly name: string,
  ) {
    super(file, offset, bytes, undefined);
    this.source = this;
  }
  override describe(): string {
    return `${this.name} in ${this.file.path}`;
  }
}

/**
 * A file window whose start offset is only known after a small read (a zip local header). `label` may
 * be a function, called only when a message needs it (archives with thousands of entries make one
 * source per entry at open).
 */
export function lazyFileRegion(file: RandomAccessFile, resolve: () => Promise<number>, length: number, label: string | (() => string)): ByteSource {
  return new LazyFileRegion(file, resolve, length, label);
}

class LazyFileRegion implements ByteSource {
  readonly readsFresh: boolean;
  private start: Promise<number> | undefined = undefined;
  constructor(
    private readonly file: RandomAccessFile,
    private readonly resolve: () => Promise<number>,
    readonly size: number,
    private readonly label: string | (() => string),
  ) {
    this.readsFresh = file.readsFresh === true;
  }
  async read(off: number, len: number): Promise<Uint8Array> {
    this.start ??= this.resolve();
    const base = await this.start;
    const [s, e] = clampRange(this.size, off, len);
    return this.file.read(base + s, e - s);
  }
  chunks(off: number, len: number, chunkSize: number): AsyncIterable<Uint8Array> {
    return chunked(this, off, len, chunkSize);
  }
  describe(): string {
    return typeof this.label === 'string' ? this.label : this.label();
  }
}

export function bufferSource(bytes: Uint8Array, label = 'memory'): ByteSource {
  const src: ByteSource = {
    size: bytes.length,
    read(off, len) {
      const [s, e] = clampRange(bytes.length, off, len);
      return Promise.resolve(bytes.subarray(s, e));
    },
    chunks(off, len, chunkSize) {
      return chunked(src, off, len, chunkSize);
    },
    describe: () => label,
  };
  return src;
}

export function subSource(parent: ByteSource, offset: number, length: number, label?: string): ByteSource {
  const size = Math.max(0, Math.min(length, parent.size - offset));
  const src: ByteSource = {
    size,
    readsFresh: parent.readsFresh === true,
    read(off, len) {
      const [s, e] = clampRange(size, off, len);
      return parent.read(offset + s, e - s);
    },
    chunks(off, len, chunkSize) {
      const [s, e] = clampRange(size, off, len);
      return parent.chunks ? parent.chunks(offset + s, e - s, chunkSize) : chunked(src, off, len, chunkSize);
    },
    describe: () => label ?? `${parent.describe()} [${offset}..${offset + size}]`,
  };
  return src;
}

/** Entries whose inflated size is at most this are kept whole after the first read (small, repeated reads)… */
const INFLATE_CACHE_MAX = 4 << 20;
/** …in one least-recently-used cache shared by every inflated source, so memory stays bounded. */
const INFLATE_CACHE_TOTAL = 32 << 20;
const RAW_CHUNK = 1 << 20;

const inflateCache = new Map<object, Promise<Uint8Array>>();
const inflateCacheSizes = new Map<object, number>();
let inflateCacheBytes = 0;

function cachedInflate(owner: object, size: number, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const hit = inflateCache.get(owner);
  if (hit) {
    inflateCache.delete(owner); // most recently used goes last
    inflateCache.set(owner, hit);
    return hit;
  }
  const p = make();
  inflateCache.set(owner, p);
  inflateCacheSizes.set(owner, size);
  inflateCacheBytes += size;
  p.catch(() => dropCached(owner));
  for (const key of inflateCache.keys()) {
    if (inflateCacheBytes <= INFLATE_CACHE_TOTAL || key === owner) break;
    dropCached(key);
  }
  return p;
}

/** Bytes the shared inflate cache holds now (for tests and diagnostics). */
export function inflateCacheBytesHeld(): number {
  return inflateCacheBytes;
}

function dropCached(owner: object): void {
  if (!inflateCache.delete(owner)) return;
  inflateCacheBytes -= inflateCacheSizes.get(owner) ?? 0;
  inflateCacheSizes.delete(owner);
}

/**
 * Raw-deflate data in `raw` whose inflated size is `size`. Reads inflate from the start of the stream
 * (deflate has no random access), discarding what lies before the requested range; memory stays at
 * one chunk plus the requested bytes. Small entries (≤ 4 MiB) are cached whole in a shared LRU of 32 MiB.
 */
export function inflateSource(raw: ByteSource, size: number, label: string): ByteSource {
  const owner = {};

  async function* inflateRange(start: number, end: number, chunkSize: number): AsyncIterable<Uint8Array> {
    if (end <= start) return;
    async function* rawChunks(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < raw.size; off += RAW_CHUNK) yield await raw.read(off, Math.min(RAW_CHUNK, raw.size - off));
    }
    const { Readable, pipeline } = nodeStream();
    const input = Readable.from(rawChunks());
    const inflater = nodeZlib().createInflateRaw({ chunkSize: 1 << 16 });
    let failure: Error | undefined;
    pipeline(input, inflater, (err) => { if (err) failure = err; });
    let pos = 0; // inflated bytes seen so far
    let pending: Buffer[] = [];
    let pendingLen = 0;
    try {
      for await (const chunk of inflater) {
        const b = chunk as Buffer;
        const bStart = pos;
        pos += b.length;
        const s = Math.max(start, bStart);
        const e = Math.min(end, pos);
        if (e > s) {
          pending.push(b.subarray(s - bStart, e - bStart));
          pendingLen += e - s;
        }
        while (pendingLen >= chunkSize) {
          const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
          yield all.subarray(0, chunkSize);
          pending = [all.subarray(chunkSize)];
          pendingLen = all.length - chunkSize;
        }
        if (pos >= end) break;
      }
    } catch (err) {
      throw new UnreadableError(`corrupt deflate data (${(err as Error).message})`, label);
    } finally {
      input.destroy();
      inflater.destroy();
    }
    if (failure && pos < end) throw new UnreadableError(`corrupt deflate data (${failure.message})`, label);
    if (pendingLen > 0) yield pending.length === 1 ? pending[0] : Buffer.concat(pending);
  }

  async function collect(start: number, end: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const p of inflateRange(start, end, Math.max(1, end - start))) parts.push(p);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  const src: ByteSource = {
    size,
    async read(off, len) {
      const [s, e] = clampRange(size, off, len);
      if (size <= INFLATE_CACHE_MAX) {
        const all = await cachedInflate(owner, size, () => collect(0, size));
        return all.subarray(s, e);
      }
      return collect(s, e);
    },
    chunks(off, len, chunkSize) {
      const [s, e] = clampRange(size, off, len);
      return inflateRange(s, e, Math.max(1, chunkSize));
    },
    describe: () => label,
  };
  return src;
}

export async function readAll(source: ByteSource, maxBytes = 2 ** 31 - 1): Promise<Uint8Array> {
  if (source.size > maxBytes) {
    throw new UnreadableError(`${source.describe()} is ${source.size} bytes, more than the ${maxBytes} allowed here`);
  }
  const data = await source.read(0, source.size);
  if (data.length < source.size) throw new UnreadableError(`${source.describe()} is truncated`);
  return data;
}
