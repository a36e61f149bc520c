/** Finding the Python string literal under the cursor (for hovers). Pure. */

/** The text of the string literal around `column` in `line` (single or double quotes, no escapes decoded), with its range. */
export function stringLiteralAt(line: string, column: number): { text: string; start: number; end: number } | null {
  const re = /(?:[rRbBuUfF]{0,2})(['"])((?:\\.|(?!\1)[^\\])*)\1/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    const start = m.index + m[0].indexOf(m[1]);
    const end = m.index + m[0].length;
    if (column >= start && column < end) return { text: m[2], start: start + 1, end: end - 1 };
  }
  return null;
}
