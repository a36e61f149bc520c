/** `tensorscope probe SCRIPT.py --line N --expr EXPR [--python PATH] [--json]`: run to line N under debugpy and describe EXPR. */
import { runToLine } from '../debug/session';
import { valueLine } from '../debug/format';
import { isLiveTensor } from '../debug/protocol';
import { parseDebugArgs } from './debugArgs';

const USAGE = 'usage: tensorscope probe SCRIPT.py --line N --expr EXPR [--python PATH] [--json] [--no-stats] [--timeout S]\n';

export async function run(args: string[]): Promise<number> {
  const a = parseDebugArgs(args, USAGE);
  if (typeof a === 'string') { process.stderr.write(a.endsWith('\n') ? a : `${a}\n`); return 2; }
  const session = await runToLine({ script: a.script, line: a.line, python: a.python, stopTimeoutMs: a.timeoutS * 1000 });
  try {
    // the expression was typed: evaluated as the Debug Console would (calls such as `out.sum()` included)
    const answer = await session.helper.hover(a.expr, session.frameId, !a.noStats, { calls: true });
    if ('error' in answer) { process.stderr.write(`error: ${a.expr}: ${answer.error}\n`); return 1; }
    if (a.json) process.stdout.write(`${JSON.stringify(answer)}\n`);
    else {
      process.stdout.write(`${a.expr}: ${valueLine(answer)}\n`);
      if (isLiveTensor(answer)) {
        process.stdout.write(`  stride ${JSON.stringify(answer.stride)}  contiguous ${answer.contiguous}  ${answer.bytes} bytes\n`);
      }
    }
    return 0;
  } finally {
    await session.close();
  }
}
