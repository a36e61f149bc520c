/**
 * For files no reader takes: one clear line saying what the file is (when known) and why it can't be read.
 *
 *   sniff(head, path, entries, size) → { what, reason }     pure: head = first bytes (≤ 64 KiB)
 *   sniffError(...)                  → UnreadableError       the same as a clean refusal
 */
import type * as Zlib from 'node:zlib';
import { UnreadableError } from '../model';

export interface SniffResult {
  /** what the file is, when known (`gzip-compressed file`, `HDF5 file`) */
  what?: string;
  reason: string;
}

const startsWith = (head: Uint8Array, bytes: number[], at = 0) => head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

function hex(head: Uint8Array, n = 8): string {
  return Array.from(head.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** What a gzip stream holds, from its first inflated bytes (best effort). */
function insideGzip(head: Uint8Array): string | undefined {
  try {
    // loaded here, for the rare gzip file: every other open is spared loading zlib
    const zlib = require('node:zlib') as typeof Zlib;
    const out = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (startsWith(out, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive (a torch.save checkpoint?)';
    if (out[0] === 0x80 && out[1] >= 2 && out[1] <= 5) return 'a pickle (a legacy torch.save checkpoint or pickle file?)';
    if (startsWith(out, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'a .npy array';
    if (out.length > 262 && Buffer.from(out.subarray(257, 262)).toString('latin1') === 'ustar') return 'a tar archive';
  } catch {
    return undefined;
  }
  return undefined;
}

function isText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let printable = 0;
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2) printable++;
    else if (b === 0) return false;
  }
  return printable / n > 0.97;
}

export function sniff(head: Uint8Array, path: string, entries: readonly string[], size: number): SniffResult {
  const base = path.split(/[\\/]/).pop() ?? path;
  if (entries.length > 0) {
    if (entries.includes('saved_model.pb') || entries.includes('saved_model.pbtxt')) {
      return { what: 'TensorFlow SavedModel folder', reason: 'TensorFlow formats are not read; export the weights to safetensors or ONNX' };
    }
    if (entries.includes('.metadata')) return { what: 'distributed checkpoint folder', reason: 'its .metadata could not be read' };
    return { what: 'folder', reason: `holds no checkpoint Tensorscope reads (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''})` };
  }
  if (size === 0) return { what: 'empty file', reason: '0 bytes: nothing was saved (an interrupted torch.save?)' };
  if (startsWith(head, [0x1f, 0x8b])) {
    const inner = insideGzip(head);
    return { what: 'gzip-compressed file', reason: `${inner ? `it holds ${inner}; ` : ''}decompress it first (gunzip ${base})` };
  }
  if (startsWith(head, [0x42, 0x5a, 0x68])) return { what: 'bzip2-compressed file', reason: `decompress it first (bunzip2 ${base})` };
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return { what: 'xz-compressed file', reason: `decompress it first (unxz ${base})` };
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return { what: 'zstd-compressed file', reason: `decompress it first (unzstd ${base})` };
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return { what: '7-zip archive', reason: 'extract it first' };
  if (startsWith(head, [0x52, 0x61, 0x72, 0x21])) return { what: 'RAR archive', reason: 'extract it first' };
  if (startsWith(head, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { what: 'HDF5 file (Keras .h5 / h5py)', reason: 'HDF5 is not read; save the weights as safetensors, .npz or a torch checkpoint' };
  }
  if (startsWith(head, [0x47, 0x47, 0x55, 0x46])) return { what: 'GGUF file (llama.cpp)', reason: 'GGUF is not read' };
  if (head.length >= 8 && Buffer.from(head.subarray(4, 8)).toString('latin1') === 'TFL3') {
    return { what: 'TensorFlow Lite model', reason: 'TFLite flatbuffers are not read' };
  }
  if (/\.t7$/i.test(base) || (head.length >= 8 && head[1] === 0 && head[2] === 0 && head[3] === 0 && head[0] >= 1 && head[0] <= 8 && head[5] === 0 && head[6] === 0 && head[7] === 0 && head[4] <= 4)) {
    if (/\.t7$/i.test(base) || head[0] === 3 || head[0] === 4) {
      return { what: 'Lua Torch7 serialized object (.t7)', reason: 'this is Lua Torch, not PyTorch; convert it with the torchfile package' };
    }
  }
  if (/\.pb$/i.test(base)) return { what: 'protobuf file (TensorFlow GraphDef?)', reason: 'TensorFlow formats are not read' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    return { what: 'zip archive', reason: 'no PyTorch or numpy layout inside (no data.pkl, no .npy members), or the archive is truncated' };
  }
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return { what: 'pickle', reason: 'it could not be read' };
  if (isText(head)) {
    const first = Buffer.from(head.subarray(0, 200)).toString('utf8').split('\n')[0].trim().slice(0, 60);
    return { what: 'text file', reason: `not a checkpoint (starts "${first}")` };
  }
  return { reason: `unrecognized content (first bytes ${hex(head)}, ${size} bytes): not a checkpoint format Tensorscope knows, or a corrupted file` };
}

export function sniffError(head: Uint8Array, path: string, entries: readonly string[], size: number): UnreadableError {
  const r = sniff(head, path, entries, size);
  return new UnreadableError(r.reason, r.what);
}
