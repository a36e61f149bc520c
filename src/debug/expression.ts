/**
 * Which expression is under the cursor in a Python line, and whether it is safe to evaluate unasked
 * (the hover): names, attributes and subscripts (with constant or name indices) only — never a call, an
 * assignment, an operator or a lambda. The debuggee-side helper checks again with `ast`. Expressions the
 * user types are evaluated as the Debug Console does ({@link checkExpression} with `calls`).
 */

const KEYWORDS = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'print',
]);
const CONSTANTS = new Set(['True', 'False', 'None']);

export type SafeCheck = { ok: true } | { ok: false; reason: string };

type Tok = { kind: 'name' | 'num' | 'str' | 'op'; text: string };

function tokenize(expr: string): Tok[] | string {
  const toks: Tok[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const rest = expr.slice(i);
    let m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (m) { toks.push({ kind: 'name', text: m[0] }); i += m[0].length; continue; }
    m = /^(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)/.exec(rest);
    if (m) { toks.push({ kind: 'num', text: m[0] }); i += m[0].length; continue; }
    m = /^(?:'[^'\\\n]*'|"[^"\\\n]*")/.exec(rest);
    if (m) { toks.push({ kind: 'str', text: m[0] }); i += m[0].length; continue; }
    if ('.[]:,-'.includes(c)) { toks.push({ kind: 'op', text: c }); i++; continue; }
    if (c === '(' || c === ')') return 'refused: calls are not evaluated';
    return `refused: '${c}' is not evaluated (only names, attributes and subscripts)`;
  }
  return toks;
}

/** Names, attributes and subscripts only. */
export function isSafeExpression(expr: string): SafeCheck {
  const text = expr.trim();
  if (!text) return { ok: false, reason: 'empty expression' };
  if (text.length > 500) return { ok: false, reason: 'expression too long' };
  const toks = tokenize(text);
  if (typeof toks === 'string') return { ok: false, reason: toks };
  if (toks[0]?.kind !== 'name' || CONSTANTS.has(toks[0].text)) return { ok: false, reason: 'not a name, attribute or subscript' };
  let depth = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const prev = toks[k - 1];
    if (t.kind === 'name') {
      if (KEYWORDS.has(t.text)) return { ok: false, reason: `refused: '${t.text}' is not evaluated` };
      if (/^__.*__$/.test(t.text)) return { ok: false, reason: 'refused: dunder names are not evaluated' };
      if (prev && prev.kind !== 'op') return { ok: false, reason: 'not a name, attribute or subscript' };
      if (prev?.text === '.' && CONSTANTS.has(t.text)) return { ok: false, reason: 'not a name, attribute or subscript' };
    } else if (t.kind === 'op') {
      if (t.text === '[') { if (!prev || prev.text === '.' || prev.text === '-') return { ok: false, reason: 'bad subscript' }; depth++; }
      else if (t.text === ']') { depth--; if (depth < 0) return { ok: false, reason: 'unbalanced brackets' }; }
      else if (t.text === '.') {
        const next = toks[k + 1];
        if (!prev || next?.kind !== 'name') return { ok: false, reason: 'bad attribute' };
      } else if ((t.text === ':' || t.text === ',' || t.text === '-') && depth === 0) {
        return { ok: false, reason: `refused: '${t.text}' outside a subscript` };
      }
    } else if (depth === 0) {
      return { ok: false, reason: 'not a name, attribute or subscript' };
    }
  }
  if (depth !== 0) return { ok: false, reason: 'unbalanced brackets' };
  return { ok: true };
}

/**
 * Whether `expr` may be sent: with `calls` (an expression the user typed or chose, evaluated as the Debug
 * Console would) any non-empty expression, which Python then compiles; without (the hover, which runs
 * unasked) names, attributes and subscripts only.
 */
export function checkExpression(expr: string, opts: { calls?: boolean }): SafeCheck {
  if (!opts.calls) return isSafeExpression(expr);
  const text = expr.trim();
  if (!text) return { ok: false, reason: 'empty expression' };
  if (text.length > 5000) return { ok: false, reason: 'expression too long' };
  return { ok: true };
}

/** A pinned value's reference, from a hover answer with calls (`@pin:3`; `@` cannot start an expression). */
export function isPinRef(s: string): boolean {
  return /^@pin:\d+$/.test(s);
}

/** Where the expression under the cursor starts and ends in `line` (0-based, end exclusive). */
export interface ExpressionRange { start: number; end: number; text: string }

/**
 * The name/attribute/subscript chain that ends with the identifier under `character`:
 * `self.fc1.weight` when hovering `weight`, `self.fc1` when hovering `fc1`, `x[0]` when hovering
 * the `]` of `x[0]`. Returns null in comments, on keywords/numbers, and when the chain holds a call.
 */
export function expressionAt(line: string, character: number): ExpressionRange | null {
  const hash = commentStart(line);
  if (hash >= 0 && character >= hash) return null;
  const isId = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
  let end: number;
  if (isId(line[character])) {
    let s = character;
    while (s > 0 && isId(line[s - 1])) s--;
    end = character;
    while (end < line.length && isId(line[end])) end++;
    const word = line.slice(s, end);
    if (/^\d/.test(word) || KEYWORDS.has(word) || CONSTANTS.has(word)) return null;
  } else if (line[character] === ']') {
    end = character + 1;
  } else return null;
  // walk left over `.name`, `[...]` and names
  let start = end;
  let expectName = true;
  for (;;) {
    if (expectName) {
      if (line[start - 1] === ']') {
        const open = matchOpen(line, start - 1);
        if (open < 0) return null;
        start = open;
        expectName = true; // a subscript follows a name or another subscript
        continue;
      }
      let s = start;
      while (s > 0 && isId(line[s - 1])) s--;
      if (s === start) {
        if (line[start - 1] === ')') return null; // a call result: not evaluated
        return null;
      }
      start = s;
      if (/^\d/.test(line.slice(start, end))) return null;
      expectName = false;
    } else {
      if (line[start - 1] === '.' ) { start -= 1; expectName = true; continue; }
      break;
    }
  }
  const text = line.slice(start, end);
  if (!isSafeExpression(text).ok) return null;
  return { start, end, text };
}

function matchOpen(line: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = line[i];
    if (c === ']') depth++;
    else if (c === '[') { depth--; if (depth === 0) return i; }
  }
  return -1;
}

/** Index of a `#` that starts a comment (outside string literals), or -1. */
export function commentStart(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return i;
  }
  return -1;
}

/** Identifiers on a line of Python that could be variables (for inline values): not keywords, attributes or keyword args. */
export function namesOnLine(line: string): { name: string; start: number }[] {
  const hash = commentStart(line);
  const code = hash >= 0 ? line.slice(0, hash) : line;
  const out: { name: string; start: number }[] = [];
  const seen = new Set<string>();
  const re = /[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  let quote: string | null = null;
  let lastQ = 0;
  while ((m = re.exec(code))) {
    // skip names inside string literals
    for (let i = lastQ; i < m.index; i++) {
      const c = code[i]!;
      if (quote) { if (c === '\\') i++; else if (c === quote) quote = null; } else if (c === '"' || c === "'") quote = c;
    }
    lastQ = m.index;
    if (quote) continue;
    const name = m[0];
    const before = code.slice(0, m.index).trimEnd();
    if (before.endsWith('.')) continue;
    if (/^\s*=(?!=)/.test(code.slice(m.index + name.length)) && /[(,]\s*$/.test(before)) continue; // keyword argument
    if (KEYWORDS.has(name) || CONSTANTS.has(name) || /^\d/.test(name) || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, start: m.index });
  }
  return out;
}
