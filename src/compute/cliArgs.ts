/** Shared argument parsing for the `op`, `metric` and `diff` commands. */
import { parseProviders } from './providers';
import type { ProviderChoice } from './providers';

export interface ParsedArgs {
  positional: string[];
  /** repeatable options collect every value */
  options: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(args: readonly string[], withValue: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (withValue.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new Error(`${a} needs a value`);
        options.set(name, [...(options.get(name) ?? []), v]);
      } else {
        if (eq > 0) throw new Error(`unknown option ${a}`);
        flags.add(name);
      }
    } else positional.push(a);
  }
  return { positional, options, flags };
}

export function providersFrom(p: ParsedArgs): ProviderChoice {
  const ep = p.options.get('ep');
  return parseProviders(ep ? ep.join(',') : process.env.TENSORSCOPE_EP);
}

export function checkFlags(p: ParsedArgs, allowed: readonly string[]): void {
  for (const f of p.flags) if (!allowed.includes(f)) throw new Error(`unknown option --${f}`);
}
