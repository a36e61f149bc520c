/**
 * Open any supported checkpoint by content, never by file name.
 *
 *   openCheckpoint(path, options?): Promise<Checkpoint>
 *   detectFormat(path): Promise<{ reader?: FormatReader; head: Uint8Array; entries: readonly string[] }>
 *
 * Each reader's `detect(head, path, entries)` sees the first 64 KiB; `entries` lists a directory's file
 * names, or — for a zip file — its member names (read from the central directory only). The chosen
 * reader's `open` gets that detection context (`options.detected`: the head and the zip directory), so
 * no file's directory is read twice.
 * Every failure is an UnreadableError with a one-line reason.
 */
import { promises as fsp } from 'node:fs';
import type { Checkpoint, FormatReader, OpenOptions } from './model';
import { UnreadableError } from './model';
import { formatReaders } from './formats/index';
import { ZipArchive, looksLikeZip } from './zip';
import { SharedFile } from './byteSource';
import { sniffError } from './formats/sniff';
import { torchZipReader } from './formats/torchZip';
import { torchscriptReader } from './formats/torchscript';
import { torchExportReader } from './formats/torchExport';
import { npzReader } from './formats/npz';
import { errorMessage } from './errors';

/** readers that take the zip directory detection read (through readZipFile) */
const ZIP_READERS: ReadonlySet<FormatReader> = new Set([torchZipReader, torchscriptReader, torchExportReader, npzReader]);

const HEAD_BYTES = 64 * 1024;

export async function detectFormat(path: string): Promise<{ reader?: FormatReader; head: Uint8Array; entries: readonly string[]; zipError?: string }> {
  const d = await detect(path);
  await d.zip?.close();
  return { reader: d.reader, head: d.head, entries: d.entries, zipError: d.zipError };
}

interface Detected {
  reader?: FormatReader;
  head: Uint8Array;
  entries: readonly string[];
  zipError?: string;
  isDir: boolean;
  size: number;
  /** the zip archive read while detecting, still open (the caller closes it) */
  zip?: ZipArchive;
}

/** Content detection; a zip's directory is read once and handed on (the caller closes `zip`). */
async function detect(path: string): Promise<Detected> {
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UnreadableError(code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : 'cannot stat');
  }
  let head: Uint8Array = new Uint8Array(0);
  let entries: readonly string[] = [];
  let zipError: string | undefined;
  let zip: ZipArchive | undefined;
  const isDir = stat.isDirectory();
  if (isDir) {
    entries = await fsp.readdir(path);
  } else {
    const file = await SharedFile.open(path);
    try {
      head = await file.read(0, Math.min(HEAD_BYTES, file.size));
      if (looksLikeZip(head)) {
        try {
          zip = await ZipArchive.fromFile(file);
          entries = zip.names;
        } catch (err) {
          zipError = errorMessage(err);
        }
      }
    } finally {
      await file.close();
    }
  }
  const reader = formatReaders.find((r) => {
    try {
      return r.detect(head, path, entries);
    } catch {
      return false;
    }
  });
  return { reader, head, entries, zipError, isDir, size: isDir ? 0 : stat.size, zip };
}

function describeUnknown(head: Uint8Array, path: string, entries: readonly string[], isDir: boolean, size: number, zipError?: string): UnreadableError {
  if (zipError) return new UnreadableError(`broken zip archive: ${zipError}`);
  if (isDir && entries.length === 0) return new UnreadableError('directory is not a distributed checkpoint (no .metadata + *.distcp)');
  if (!isDir && entries.length) {
    return new UnreadableError(`zip archive of unknown layout (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`);
  }
  // what the file is, when known (gzip, Lua Torch7, HDF5, text, …), and why it can't be read
  return sniffError(head, path, isDir ? entries : [], size);
}

export async function openCheckpoint(path: string, options?: OpenOptions): Promise<Checkpoint> {
  let zip: ZipArchive | undefined;
  try {
    const d = await detect(path);
    zip = d.zip;
    const { reader } = d;
    if (!reader) throw describeUnknown(d.head, path, d.entries, d.isDir, d.size, d.zipError);
    if (options?.signal?.aborted) throw new UnreadableError('cancelled');
    // the detection context: the head, and the zip directory already read, which the reader now owns
    const detected = { head: d.head, zip };
    if (zip && !ZIP_READERS.has(reader)) await zip.close();
    zip = undefined;
    return await reader.open(path, { ...options, detected });
  } catch (err) {
    if (err instanceof UnreadableError) throw err;
    if (err instanceof RangeError) throw new UnreadableError(`corrupt or hostile file (${err.message.split('\n')[0]})`);
    const message = errorMessage(err);
    throw new UnreadableError(message.split('\n')[0]);
  } finally {
    await zip?.close();
  }
}
