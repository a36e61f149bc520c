/**
 * `.npz` archives (numpy.savez / savez_compressed): a zip of `.npy` members. Only the zip directory and each
 * member's header are read at open (a deflated member inflates just its first bytes); array data stays a lazy
 * window of the member. Members keep their names without the `.npy` suffix.
 *
 *   npzReader: FormatReader
 */
import type { ByteSource, Checkpoint, FormatReader, GlobalUse, JsonValue, TensorInfo } from '../model';
import { UnreadableError, setJsonKey } from '../model';
import { looksLikeZip, readZipFile } from '../zip';
import { subSource } from '../byteSource';
import { NPY_MAX_HEADER, hasNpyMagic, mergeGlobals, npyHeaderLength, npyTensor, npyWarnings, objectArrayContent, parseNpyHeader } from './npy';

export const npzReader: FormatReader = {
  format: 'npz',
  detect(head, p, entries) {
    if (!looksLikeZip(head)) return false;
    if (/\.npz$/i.test(p)) return true;
    const files = entries.filter((e) => !e.endsWith('/'));
    if (files.length > 0) return files.every((e) => e.endsWith('.npy'));
    // a zip whose first member is an .npy file (local header: name at offset 30)
    if (head.length < 30) return false;
    const nameLen = head[26] | (head[27] << 8);
    const name = Buffer.from(head.subarray(30, 30 + nameLen)).toString('latin1');
    return name.endsWith('.npy');
  },
  open(p, options): Promise<Checkpoint> {
    return readZipFile(p, async (zip) => {
      const tensors: TensorInfo[] = [];
      const warnings: string[] = [];
      const content: Record<string, JsonValue> = {};
      let globals: GlobalUse[] = [];
      const dataOf = new Map<ByteSource, ByteSource>();
      let version = '';
      for (const entry of zip.entries) {
        if (options?.signal?.aborted) throw new UnreadableError('aborted');
        if (entry.name.endsWith('/')) continue;
        if (!entry.name.endsWith('.npy')) {
          warnings.push(`member ${entry.name} is not an .npy array; skipped`);
          continue;
        }
        const name = entry.name.slice(0, -4);
        const source = zip.source(entry);
        const first = await source.read(0, 12);
        if (!hasNpyMagic(first)) {
          warnings.push(`member ${entry.name} is not an .npy array (no magic); skipped`);
          continue;
        }
        const headerLen = npyHeaderLength(first);
        if (headerLen > NPY_MAX_HEADER + 12 || headerLen > source.size) {
          throw new UnreadableError(`member ${entry.name} has a ${headerLen}-byte header in a ${source.size}-byte member (truncated?)`, 'npz');
        }
        const header = parseNpyHeader(await source.read(0, headerLen));
        version ||= header.version;
        // members listed twice over the same bytes share one source (see ZipArchive.source): and so one data view
        let data = dataOf.get(source);
        if (!data) {
          data = subSource(source, header.dataOffset, Math.max(0, source.size - header.dataOffset), `${entry.name} in ${p}`);
          dataOf.set(source, data);
        }
        const tensor = npyTensor(header, data, name, entry.name);
        tensors.push(tensor);
        warnings.push(...npyWarnings(header, name));
        setJsonKey(content, name, { $tensor: name });
        if (tensor.dtype === 'object') {
          const objs = await objectArrayContent(data, `array ${name}`);
          if (objs.content) setJsonKey(content, name, { $tensor: name, objects: objs.content });
          warnings.push(...objs.warnings);
          globals = mergeGlobals(globals, objs.globals);
        }
      }
      return {
        path: p,
        format: 'npz',
        tensors,
        content,
        warnings,
        globals,
        producer: version ? `numpy ${version}` : 'numpy',
        meta: {
          members: String(zip.entries.length),
          compression: zip.entries.some((e) => e.method === 8) ? 'deflated' : 'stored',
        },
        close: () => zip.close(),
      };
    }, options);
  },
};
