/**
 * Standard output for CLI commands that print one large result.
 *
 *   writeOut(text)   all of `text` to fd 1
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
