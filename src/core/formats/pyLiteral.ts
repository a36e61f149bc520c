/**
 * A tiny, safe parser for the Python literals found in `.npy` headers:
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` — dicts, tuples, lists, strings, ints,
 * True/False/None. Never evaluates anything; throws `UnreadableError` on anything else.
 */
import { UnreadableError } from '../model';

export type PyLiteral = null | boolean | number | string | PyLiteral[] | { [key: string]: PyLiteral };

const MAX_DEPTH = 32;

export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const fail = (why: string): never => {
    throw new UnreadableError(`bad header literal: ${why} at character ${i}`);
  };
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const value = (depth: number): PyLiteral => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: PyLiteral } = {};
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return obj; }
        const key = value(depth + 1);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[String(key)] = value(depth + 1);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const arr: PyLiteral[] = [];
      for (;;) {
        ws();
        if (text[i] === close) { i++; return arr; }
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return arr; }
        fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(text.slice(i, i + 40));
    if (m) {
      i += m[0].length;
      if (m[2] === 'True') return true;
      if (m[2] === 'False') return false;
      if (m[2] === 'None') return null;
      return Number(m[1]);
    }
    return fail(c === undefined ? 'unexpected end' : `unexpected '${c}'`);
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('trailing characters');
  return v;
}
