/**
 * Debugger timings (real debugpy + real torch): hover round trip on an ordinary tensor and the
 * request→parsed time of a 2,000-node autograd graph (+ its layout), each printed with its ratio
 * to a reference measured in the same run: a bare `evaluate('1')` round trip through the same adapter.
 * Targets from issue #5: hover < 100 ms, 2,000-node graph < 2 s.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { runToLine } from '../src/debug/session';
import { layoutGraph } from '../webview/graph/layout';
import type { AutogradGraph } from '../src/debug/protocol';
import { graphPageSkip, launch, openGraphPage, renderGraph } from '../test/fixtures/debug/graphPage';
import { chainGraph } from '../test/fixtures/debug/syntheticGraphs';
import { errorMessage } from '../src/core/errors';

const root = path.resolve(__dirname, '..');
const script = path.join(root, 'test', 'fixtures', 'debug', 'bench_cases.py');
const line = readFileSync(script, 'utf8').split('\n').findIndex((l) => l.includes('# BREAK')) + 1;
const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(n: number, f: () => Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await f(); ts.push(performance.now() - t0); }
  return median(ts);
}

async function main(): Promise<void> {
  const s = await runToLine({ script, line, python, requestTimeoutMs: 30000 });
  try {
    await s.helper.ensureInstalled(s.frameId);
    const ref = await time(30, () => s.evaluator.evaluate('1', s.frameId));
    const hoverAct = await time(20, async () => { const a = await s.helper.hover('act', s.frameId); if ('error' in a) throw new Error(a.error); });
    const hoverSmall = await time(30, () => s.helper.hover('small', s.frameId));
    const graphTimes: number[] = [];
    let nodes = 0;
    let layoutMs = 0;
    let last: AutogradGraph | undefined;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const g = await s.helper.autograd('g2000', s.frameId, 5000);
      const t1 = performance.now();
      if ('error' in g) throw new Error(g.error);
      nodes = g.nodes.length;
      last = g;
      graphTimes.push(t1 - t0);
      const l0 = performance.now();
      layoutGraph(g, { collapse: false });
      layoutMs = Math.max(layoutMs, performance.now() - l0);
    }
    const graph = median(graphTimes);
    const row = (name: string, ms: number, target: number): string =>
      `  ${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / ref).toFixed(1).padStart(6)}× ref  target < ${target} ms ${ms < target ? 'OK' : 'SLOW'}`;
    console.log(`debug bench (median; reference = bare evaluate round trip ${ref.toFixed(2)} ms)`);
    console.log(row('hover act [2, 3, 224, 224] float32 + stats', hoverAct, 100));
    console.log(row('hover small [16, 16]', hoverSmall, 100));
    console.log(row(`autograd ${nodes}-node graph request→parsed`, graph, 2000));
    console.log(row(`  + layout of ${nodes} nodes (webview/graph/layout)`, graph + layoutMs, 2000));
    const skip = graphPageSkip();
    if (skip || !last) { console.log(`  (webview draw not measured: ${skip ?? 'no graph'})`); return; }
    const browser = await launch();
    try {
      const page = await openGraphPage(browser);
      const small = chainGraph(10);
      await renderGraph(page, small, { collapse: false }); // warm up
      const drawSmall = median(await (async () => {
        const ts: number[] = [];
        for (let i = 0; i < 5; i++) ts.push(await renderGraph(page, small, { collapse: false }));
        return ts;
      })());
      const draws: number[] = [];
      for (let i = 0; i < 3; i++) draws.push(await renderGraph(page, last, { collapse: false }));
      const draw = median(draws);
      console.log(`  webview draw in headless Chromium (reference: a 22-node graph, ${drawSmall.toFixed(1)} ms):`);
      console.log(`  ${`draw ${nodes} nodes, expanded`.padEnd(44)} ${draw.toFixed(1).padStart(8)} ms  ${(draw / drawSmall).toFixed(1).padStart(6)}× ref`);
      const total = graph + draw;
      console.log(`  ${`${nodes}-node graph request→drawn`.padEnd(44)} ${total.toFixed(1).padStart(8)} ms  ${(total / ref).toFixed(1).padStart(6)}× ref  target < 2000 ms ${total < 2000 ? 'OK' : 'SLOW'}`);
    } finally {
      await browser.close();
    }
  } finally {
    await s.close();
  }
}

main().catch((e: unknown) => { console.error(`debug bench failed: ${errorMessage(e)}`); process.exitCode = 1; });
