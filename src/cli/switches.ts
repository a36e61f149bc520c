/**
 * Argument parsing for CLI commands that take positional arguments and on/off switches (`inspect`, `stats`).
 *
 *   parseSwitches(args, switches, usage) → { on, positional }, or the exit code after `--help` (0, usage
 *   on stdout) or an unknown option (2, a one-line error and the usage on stderr)
 */
export interface Switches {
  /** the switches given */
  on: Set<string>;
  positional: string[];
}

export function parseSwitches(args: readonly string[], switches: readonly string[], usage: string): Switches | number {
  const on = new Set<string>();
  const positional: string[] = [];
  for (const a of args) {
    if (switches.includes(a)) on.add(a);
    else if (a === '-h' || a === '--help') { process.stdout.write(usage); return 0; }
    else if (a.startsWith('--')) { process.stderr.write(`error: unknown option ${a}\n${usage}`); return 2; }
    else positional.push(a);
  }
  return { on, positional };
}
