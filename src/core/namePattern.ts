/**
 * Tensor-name patterns, the same in the inspector's filter and the CLI (`stats PATTERN`), case-insensitive:
 * - `re:REGEX`: a regular expression, found anywhere unless it anchors itself;
 * - a glob (`*`, `?`, `[abc]`, `[!abc]`): found anywhere in the name (`stage3.*.weight` finds
 *   `state_dict.module.stage3.0.weight`), unless anchored: `^` at its start, `$` at its end;
 * - anything else: a substring.
 */

import { errorMessage } from './errors';

export interface NamePattern {
  test(name: string): boolean;
  /** why the pattern matches nothing (an invalid regular expression); null when it is valid */
  error: string | null;
}

const NOTHING: (name: string) => boolean = () => false;

export function namePattern(pattern: string): NamePattern {
  const p = pattern.trim();
  if (!p) return { test: () => true, error: null };
  if (p.startsWith('re:')) {
    try {
      const re = new RegExp(p.slice(3), 'i');
      return { test: (name) => re.test(name), error: null };
    } catch (e) {
      return { test: NOTHING, error: `invalid regular expression: ${errorMessage(e)}` };
    }
  }
  if (/[*?[]/.test(p) || p.startsWith('^') || p.endsWith('$')) {
    const re = globToRegExp(p);
    return { test: (name) => re.test(name), error: null };
  }
  const lower = p.toLowerCase();
  return { test: (name) => name.toLowerCase().includes(lower), error: null };
}

/** `^layer*.weight` → /^layer.*\.weight/i; without `^`/`$` the glob may start and end anywhere in the name. */
export function globToRegExp(glob: string): RegExp {
  const start = glob.startsWith('^');
  const end = glob.endsWith('$') && glob.length > (start ? 1 : 0);
  const body = glob.slice(start ? 1 : 0, end ? -1 : undefined);
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = body.indexOf(']', i + 1);
      if (close < 0) { re += '\\['; continue; }
      let set = body.slice(i + 1, close).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = '^' + set.slice(1);
      re += `[${set}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`${start ? '^' : ''}${re}${end ? '$' : ''}`, 'i');
}

/** Any of several patterns (none: everything); the first invalid one's error. */
export function anyNamePattern(patterns: readonly string[]): NamePattern {
  if (!patterns.length) return { test: () => true, error: null };
  const all = patterns.map(namePattern);
  return { test: (name) => all.some((p) => p.test(name)), error: all.find((p) => p.error)?.error ?? null };
}
