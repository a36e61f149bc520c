/** Opening a checkpoint named on the command line: the one-line error is printed here, once for every command. */
import type { Checkpoint } from '../core/model';
import { openCheckpoint } from '../core/open';
import { printError } from './terminalText';

/** The checkpoint at `path`, or undefined after `error: PATH: reason` went to stderr (the caller exits 1). */
export async function openForCli(path: string): Promise<Checkpoint | undefined> {
  try {
    return await openCheckpoint(path);
  } catch (err) {
    printError(path, err);
    return undefined;
  }
}
