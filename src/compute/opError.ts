/**
 * An op's or metric's error with its name in front exactly once ("permute: number of dims don't match …"):
 * messages thrown inside may already start with the name (torch's own wording does, "mean(): …"), and the
 * CLI and the extension print the message as it is, without adding a prefix of their own.
 */
import { errorMessage } from '../core/errors';

export function opError(name: string, e: unknown): Error {
  const message = errorMessage(e);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const bare = message.replace(new RegExp(`^(${escaped}:\\s*)+`), '');
  // "bmm expects …" and torch's "mean(): could not infer …" already name the op
  const err = new Error(new RegExp(`^${escaped}[ (]`).test(bare) ? bare : `${name}: ${bare}`);
  if (e instanceof Error && e.stack) err.stack = `${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
