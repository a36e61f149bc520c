/** `tensorscope autograd SCRIPT.py --line N --expr EXPR [--python PATH] [--json] [--dot]`: the grad_fn graph of EXPR at line N. */
import { runToLine } from '../debug/session';
import { graphToDot } from '../debug/format';
import { parseDebugArgs } from './debugArgs';

const USAGE = 'usage: tensorscope autograd SCRIPT.py --line N --expr EXPR [--python PATH] [--json | --dot] [--max-nodes N] [--timeout S]\n';

export async function run(args: string[]): Promise<number> {
  const dot = args.includes('--dot');
  const a = parseDebugArgs(args.filter((x) => x !== '--dot'), USAGE);
  if (typeof a === 'string') { process.stderr.write(a.endsWith('\n') ? a : `${a}\n`); return 2; }
  const session = await runToLine({ script: a.script, line: a.line, python: a.python, stopTimeoutMs: a.timeoutS * 1000, requestTimeoutMs: 30000 });
  try {
    const g = await session.helper.autograd(a.expr, session.frameId, a.maxNodes, { calls: true });
    if ('error' in g) { process.stderr.write(`error: ${a.expr}: ${g.error}\n`); return 1; }
    if (a.json) process.stdout.write(`${JSON.stringify(g)}\n`);
    else if (dot) process.stdout.write(graphToDot(g));
    else {
      if (g.note) process.stdout.write(`${g.note}\n`);
      const counts = new Map<string, number>();
      for (const n of g.nodes) counts.set(n.name, (counts.get(n.name) ?? 0) + 1);
      process.stdout.write(`${g.nodes.length} nodes, ${g.edges.length} edges, ${g.leaves.length} leaves${g.truncated ? ` (truncated at ${g.maxNodes})` : ''}, ${g.elapsedMs} ms\n`);
      for (const [name, c] of [...counts].sort((x, y) => y[1] - x[1])) process.stdout.write(`  ${String(c).padStart(6)}  ${name}\n`);
      for (const l of g.leaves) process.stdout.write(`  leaf ${l.name ?? `#${l.id}`} [${l.shape.join(', ')}] ${l.dtype}\n`);
    }
    return 0;
  } finally {
    await session.close();
  }
}
