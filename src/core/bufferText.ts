/**
 * Text out of a Buffer's bytes, through Buffer's own slice decoders when this Node has them (what
 * `toString(encoding, start, end)` ends in, without its argument handling: about 4× faster for the
 * thousands of short names a checkpoint's pickle and zip directory hold).
 *
 *   utf8Text(buf, start, end)      UTF-8 (replacement characters for invalid bytes, a BOM kept)
 *   latin1Text(buf, start, end)    one character per byte
 */
interface NativeSlices {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

const NATIVE = typeof (Buffer.prototype as Partial<NativeSlices>).utf8Slice === 'function' &&
  typeof (Buffer.prototype as Partial<NativeSlices>).latin1Slice === 'function';

export function utf8Text(buf: Buffer, start: number, end: number): string {
  return NATIVE ? (buf as Buffer & NativeSlices).utf8Slice(start, end) : buf.toString('utf8', start, end);
}

export function latin1Text(buf: Buffer, start: number, end: number): string {
  return NATIVE ? (buf as Buffer & NativeSlices).latin1Slice(start, end) : buf.toString('latin1', start, end);
}
