/**
 * What a checkpoint may make us open. Every file is opened through `openRegular`: links are followed,
 * but only to a regular file (a FIFO, socket or device would block or never end) and never into the
 * kernel's pseudo file systems. Files a checkpoint references (shards, chunks, external data,
 * `.metadata`) that resolve outside its folder are read, and `outsideWarning` says so.
 *
 *   openRegular(path): Promise<{ handle, size }>     O_NONBLOCK open + fstat; refuses non-regular files
 *   readRegular(path, maxBytes): Promise<Uint8Array> a whole (small) file through openRegular
 *   outsideWarning(root, file): Promise<string | undefined>   `file` resolves outside folder `root`
 */
import { constants, promises as fsp } from 'node:fs';
import nodePath from 'node:path';
import { UnreadableError } from './model';

/** Pseudo file systems whose files lie about their size or never end. */
const FORBIDDEN = ['/proc', '/sys', '/dev'];

/** the one place under /dev that holds ordinary files (a tmpfs), read like any other folder */
const SHM = '/dev/shm/';

function forbiddenRoot(real: string): string | undefined {
  if (real.startsWith(SHM)) return undefined;
  return FORBIDDEN.find((r) => real === r || real.startsWith(`${r}/`));
}

function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  return 'a special file';
}

function errnoReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENOTDIR') return 'a path component is not a directory';
  return (err as { message?: string }).message?.split('\n')[0] ?? String(err);
}

/** The real path, refusing /proc, /sys and /dev (also reached through links). */
async function realPathChecked(path: string): Promise<string> {
  let real: string;
  try {
    real = await fsp.realpath(path);
  } catch (err) {
    throw new UnreadableError(errnoReason(err), 'cannot open');
  }
  const root = forbiddenRoot(real);
  if (root) throw new UnreadableError(`${real} is under ${root}: not a checkpoint file`, 'refused');
  return real;
}

/**
 * Open a regular file for reading. The open itself cannot block (O_NONBLOCK: a FIFO would wait for a
 * writer), and the descriptor's own fstat decides, so a file swapped for a FIFO after a check is caught too.
 */
export async function openRegular(path: string): Promise<{ handle: fsp.FileHandle; size: number }> {
  await realPathChecked(path);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EISDIR') throw new UnreadableError('is a directory');
    throw new UnreadableError(errnoReason(err), 'cannot open');
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    if (st.isDirectory()) throw new UnreadableError('is a directory');
    throw new UnreadableError(`not a regular file (${kindOf(st)})`);
  }
  return { handle, size: st.size };
}

/** A whole file of at most `maxBytes` (index files, `.metadata`, small pickles). */
export async function readRegular(path: string, maxBytes: number, what = nodePath.basename(path)): Promise<Uint8Array> {
  const { handle, size } = await openRegular(path);
  try {
    if (size > maxBytes) throw new UnreadableError(`${what} is ${size} bytes, more than the ${maxBytes} read for it`);
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** A warning when `file` (a path inside the checkpoint) resolves outside folder `root`; undefined when inside. */
export async function outsideWarning(root: string, file: string): Promise<string | undefined> {
  let realRoot: string;
  let real: string;
  try {
    realRoot = await fsp.realpath(root);
    real = await fsp.realpath(file);
  } catch {
    return undefined; // opening it reports the problem
  }
  const rel = nodePath.relative(realRoot, real);
  if (rel !== '' && !rel.startsWith('..') && !nodePath.isAbsolute(rel)) return undefined;
  return `${nodePath.relative(root, file) || file} is a link to ${real}, outside the checkpoint's folder (read from there)`;
}
