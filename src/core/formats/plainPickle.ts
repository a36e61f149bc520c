/**
 * Plain pickle files (`pickle.dump` of dicts, lists, numpy arrays, torch tensors; Python 2 pickles too):
 * unpickled by the safe pickle machine (nothing runs), tensors named by NAMING.md. A plain pickle holds its
 * arrays inline, so the file is read whole (up to MAX_PICKLE_BYTES).
 *
 *   plainPickleReader: FormatReader
 */
import { readRegular } from '../fileGuard';
import type { Checkpoint, FormatReader } from '../model';
import { UnreadableError } from '../model';
import { torchReconstructors, unpickle } from '../pickle';
import { nameTensors, pickleWarnings } from '../naming';
import { loadStorageFromBytes } from './torchLegacy';

/** Largest plain pickle read into memory. */
export const MAX_PICKLE_BYTES = 4 * 2 ** 30 - 1;

/** The legacy torch.save magic number pickled as LONG1 (`\x8a\x0a` + 10 bytes) right after PROTO. */
function isTorchLegacy(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x80 && head[2] === 0x8a && head[3] === 0x0a;
}

/** Opcodes a protocol 0/1 pickle usually starts with: `(` MARK, `}` `]` empty dict/list, `c` GLOBAL. */
function looksLikeOldPickle(head: Uint8Array, path: string): boolean {
  return /\.(pkl|pickle|p|pck)$/i.test(path) && head.length > 1 && [0x28, 0x7d, 0x5d, 0x63].includes(head[0]);
}

export const plainPickleReader: FormatReader = {
  format: 'pickle',
  detect(head, path) {
    if (isTorchLegacy(head)) return false;
    if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return true;
    return looksLikeOldPickle(head, path);
  },
  async open(path, options): Promise<Checkpoint> {
    if (options?.signal?.aborted) throw new UnreadableError('aborted');
    const data = await readRegular(path, MAX_PICKLE_BYTES, 'a plain pickle');
    // tensors pickled directly (pickle.dump(tensor)) carry their storage as a nested legacy torch.save stream
    const result = unpickle(data, { reconstructors: torchReconstructors({ loadFromBytes: loadStorageFromBytes }), label: path });
    const named = nameTensors(result.value);
    const warnings = pickleWarnings(named.tensors, result.globals);
    if (named.warning) warnings.push(named.warning);
    if (result.end < data.length) warnings.push(`${data.length - result.end} bytes follow the pickle's STOP and were not read`);
    return {
      path,
      format: 'pickle',
      tensors: named.tensors,
      content: named.content,
      warnings,
      globals: result.globals,
      producer: `pickle protocol ${data[0] === 0x80 ? data[1] : '0/1'}`,
      meta: { bytes: String(data.length) },
      close: async () => undefined,
    };
  },
};
