/**
 * Text from a file, made safe for a terminal: every non-JSON CLI output (tables, warnings, error lines)
 * goes through `terminalText`, so a tensor name or a file's bytes can never move the cursor, retitle the
 * window, clear the screen, reorder text (bidi overrides) or draw a fake row (a newline).
 *
 *   terminalText(s)             control characters escaped as `\x1b`, `\n`, `\u202e`
 *   printError(subject, err)    `error: SUBJECT: reason` as one escaped line on stderr
 */
import { aboutSubject, errorMessage } from '../core/errors';

// C0 controls, DEL, C1 controls, the bidi embeddings/overrides/isolates and marks, line/paragraph separators
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function terminalText(s: string): string {
  return s.replace(CONTROL, escapeOne);
}

/** One line on stderr, `error: SUBJECT: reason` (the subject named once; `error: reason` without one), escaped. */
export function printError(subject: string | undefined, err: unknown): void {
  const reason = errorMessage(err).split('\n')[0];
  process.stderr.write(`${terminalText(subject === undefined ? `error: ${reason}` : `error: ${aboutSubject(subject, reason)}`)}\n`);
}
