/** Shared argument parsing for `probe` and `autograd`: SCRIPT.py --line N --expr EXPR [--python PATH] [--json]. */
import { optionValue } from './optionValue';

export interface DebugCliArgs {
  script: string;
  line: number;
  expr: string;
  python?: string;
  json: boolean;
  maxNodes: number;
  timeoutS: number;
  noStats: boolean;
}

export function parseDebugArgs(args: string[], usage: string): DebugCliArgs | string {
  let script: string | undefined;
  let line: number | undefined;
  let expr: string | undefined;
  let python: string | undefined;
  let json = false;
  let maxNodes = 5000;
  let timeoutS = 60;
  let noStats = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (): string => optionValue(args, ++i, a);
    try {
      if (a === '--line') line = Number(val());
      else if (a === '--expr') expr = val();
      else if (a === '--python') python = val();
      else if (a === '--json') json = true;
      else if (a === '--max-nodes') maxNodes = Number(val());
      else if (a === '--timeout') timeoutS = Number(val());
      else if (a === '--no-stats') noStats = true;
      else if (a === '-h' || a === '--help') return usage;
      else if (a.startsWith('-')) return `unknown option ${a}\n${usage}`;
      else if (!script) script = a;
      else return `unexpected argument ${a}\n${usage}`;
    } catch (e) {
      return `${(e as Error).message}\n${usage}`;
    }
  }
  if (!script) return `missing SCRIPT.py\n${usage}`;
  if (line === undefined || !Number.isInteger(line) || line < 1) return `--line N (a line number ≥ 1) is required\n${usage}`;
  if (!expr) return `--expr EXPR is required\n${usage}`;
  if (!Number.isFinite(maxNodes) || maxNodes < 1) return `--max-nodes must be ≥ 1\n${usage}`;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) return `--timeout must be > 0\n${usage}`;
  return { script, line, expr, python, json, maxNodes: Math.floor(maxNodes), timeoutS, noStats };
}
