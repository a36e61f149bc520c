/**
 * Open any supported checkpoint by content, never by file name.
 *
 *   openCheckpoint(path, options?): Promise<Checkpoint>
 *   detectFormat(path): Promise<{ reader?: FormatReader; head: Uint8Array; entries: string[] }>
 *
 * Each reader's `detect(head, path, entries)` sees the first 64 KiB; `entries` lists a directory's file
 * names, or — for a zip file — its member names (read from the central directory only).
 * Every failure is an UnreadableError with a one-line reason.
 */
import { promises as fsp } from 'node:fs';
import type { Checkpoint, FormatReader, OpenOptions } from './model';
import { UnreadableError } from './model';
import { formatReaders } from './formats/index';
import { ZipArchive, looksLikeZip } from './zip';

const HEAD_BYTES = 64 * 1024;

export async function detectFormat(path: string): Promise<{ reader?: FormatReader; head: Uint8Array; entries: string[]; zipError?: string }> {
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UnreadableError(code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : 'cannot stat');
  }
  let head: Uint8Array = new Uint8Array(0);
  let entries: string[] = [];
  let zipError: string | undefined;
  if (stat.isDirectory()) {
    entries = await fsp.readdir(path);
  } else {
    const fh = await fsp.open(path, 'r').catch(() => { throw new UnreadableError('cannot open (permission denied?)'); });
    try {
      const buf = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    if (looksLikeZip(head)) {
      try {
        const zip = await ZipArchive.open(path);
        entries = zip.entries.map((e) => e.name);
        await zip.close();
      } catch (err) {
        zipError = err instanceof Error ? err.message : String(err);
      }
    }
  }
  const reader = formatReaders.find((r) => {
    try {
      return r.detect(head, path, entries);
    } catch {
      return false;
    }
  });
  return { reader, head, entries, zipError };
}

function describeUnknown(head: Uint8Array, entries: string[], isDir: boolean, zipError?: string): string {
  if (zipError) return `broken zip archive: ${zipError}`;
  if (isDir) return 'directory is not a distributed checkpoint (no .metadata + *.distcp)';
  if (head.length === 0) return 'empty file';
  if (entries.length) return `zip archive of unknown layout (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`;
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip-compressed file (decompress it first)';
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'a pickle that is not a torch checkpoint';
  return 'unknown file format';
}

export async function openCheckpoint(path: string, options?: OpenOptions): Promise<Checkpoint> {
  try {
    const { reader, head, entries, zipError } = await detectFormat(path);
    if (!reader) {
      const isDir = (await fsp.stat(path)).isDirectory();
      throw new UnreadableError(describeUnknown(head, entries, isDir, zipError));
    }
    if (options?.signal?.aborted) throw new UnreadableError('cancelled');
    return await reader.open(path, options);
  } catch (err) {
    if (err instanceof UnreadableError) throw err;
    if (err instanceof RangeError) throw new UnreadableError(`corrupt or hostile file (${err.message.split('\n')[0]})`);
    const message = err instanceof Error ? err.message : String(err);
    throw new UnreadableError(message.split('\n')[0]);
  }
}
