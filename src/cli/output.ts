/**
 * Standard output for CLI commands that print one large result.
 *
 *   writeOut(text)   all of `text` to fd 1
 *   ChunkedOut       many small pieces gathered into writes of a few MiB
 *
 * A terminal, file or blocking pipe gets it through synchronous writes: touching `process.stdout` loads
 * Node's whole stream machinery, a measurable part of a short run (`inspect --json` on a large
 * checkpoint). A non-blocking descriptor (EAGAIN) gets the rest through `process.stdout`; a reader that
 * went away (EPIPE, `| head`) ends the output quietly.
 */
import { writeSync } from 'node:fs';

export function writeOut(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes, done, bytes.length - done);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EPIPE') return;
      if (code === 'EAGAIN') {
        process.stdout.write(bytes.subarray(done));
        return;
      }
      throw err;
    }
  }
}

/**
 * Output gathered into writes of 64 KiB: few writes, and pieces short-lived enough that a huge output does not
 * grow the heap (a write per row of a million rows would queue a million buffers on a pipe).
 */
export class ChunkedOut {
  private parts: string[] = [];
  private size = 0;
  add(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeOut(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
