/**
 * Inspector benchmark (issue #3), part of `npm run bench`:
 *  1. host side, no browser (bench/inspector-host.ts logic): open → rows → summary → first page, for the core
 *     benchmark's 1.7 GB checkpoint (.cache/bench/big.pt, made by bench/core-bench.sh) and a 100,000-tensor file;
 *     reference in the same run: `torch.load` of the same files in Python.
 *  2. in code-server + Chromium (the e2e harness): click in the Explorer → first table row in the webview, for
 *     resnet_tiny.pt (reference), big.pt and the 100,000-tensor file; then scroll the 100,000-row table for
 *     ~5 s and report frame times against idle frames measured in the same webview.
 *   node --import tsx bench/inspector-bench.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { e2eSkipReason, explorerRow, paletteCommands, repoRoot, withWorkbench } from '../test/e2e/harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const benchDir = path.join(repoRoot, '.cache', 'bench');
const big = path.join(benchDir, 'big.pt');
const many = path.join(benchDir, 'inspector', 'big_table.pt');

function ensureFiles(): void {
  if (!existsSync(many)) execFileSync(python, [path.join(repoRoot, 'test/fixtures/inspector_e2e.py'), path.dirname(many), '--many', '100000'], { stdio: 'inherit' });
  if (!existsSync(big)) execFileSync(python, [path.join(repoRoot, 'bench/core_bench_make.py'), big], { stdio: 'inherit' });
}

function torchLoadMs(file: string): number {
  const out = execFileSync(python, ['-c', 'import sys,time,torch\nt=time.perf_counter()\ntorch.load(sys.argv[1], map_location="cpu")\nprint((time.perf_counter()-t)*1000)', file], { encoding: 'utf8' });
  return Number(out.trim());
}

function hostPart(): void {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/inspector-host.ts'), big, many], { encoding: 'utf8', cwd: repoRoot });
  for (const line of out.trim().split('\n')) {
    const r = JSON.parse(line) as { file: string; tensors: number; totalMs: number; openMs: number; firstPageMs: number; filterMs: number };
    const ref = torchLoadMs(r.file);
    console.log(`inspector host: ${path.basename(r.file)} (${r.tensors} tensors): open→first page ${r.totalMs.toFixed(0)} ms (open ${r.openMs.toFixed(0)}, table ${r.firstPageMs.toFixed(0)}, re-filter ${r.filterMs.toFixed(0)}); torch.load ${ref.toFixed(0)} ms; ratio ${(r.totalMs / ref).toFixed(3)}`);
  }
}

async function firstRow(page: Page, name: string, timeoutMs = 60_000): Promise<{ ms: number; frame: Frame }> {
  const t0 = Date.now();
  await explorerRow(page, name).click();
  const deadline = t0 + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f.isDetached() || f.name() === '' && !(await f.frameElement().then((e) => e.getAttribute('id'), () => null) === 'active-frame')) continue;
      const title = await f.locator('#file-title').textContent({ timeout: 50 }).catch(() => null);
      if (title && title.startsWith(name) && (await f.locator('#table [data-name]').count().catch(() => 0)) > 0) return { ms: Date.now() - t0, frame: f };
    }
    if (Date.now() > deadline) throw new Error(`no table for ${name}`);
    await page.waitForTimeout(20);
  }
}

async function scrollFrames(frame: Frame, pxPerFrame: number, frames: number): Promise<{ mean: number; p95: number; max: number; slow: number; blanks: number }> {
  return frame.evaluate(async ([px, n]) => {
    const el = document.getElementById('table') as HTMLElement;
    const deltas: number[] = [];
    let blanks = 0;
    let last = performance.now();
    for (let i = 0; i < n; i++) {
      if (px) el.scrollTop += px;
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
      if (px && el.querySelectorAll('.trow.placeholder').length > 0) blanks++;
    }
    deltas.sort((a, b) => a - b);
    const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
    return { mean, p95: deltas[Math.floor(deltas.length * 0.95)], max: deltas[deltas.length - 1], slow: deltas.filter((d) => d > 50).length, blanks };
  }, [pxPerFrame, frames] as [number, number]);
}

/**
 * Reference: the same scroll over a plain, non-virtualized list of 3,000 rows styled like ours, built in the same
 * webview (what the browser itself costs to scroll rows of text).
 */
async function referenceScroll(frame: Frame, pxPerFrame: number, frames: number): Promise<{ mean: number; p95: number; max: number; slow: number }> {
  return frame.evaluate(async ([px, n]) => {
    const table = document.getElementById('table') as HTMLElement;
    const rect = table.getBoundingClientRect();
    const ref = document.createElement('div');
    ref.className = 'tscroll';
    ref.style.height = `${rect.height}px`;
    ref.style.flex = 'none';
    const sample = table.querySelector('.trow.tensor') as HTMLElement;
    for (let i = 0; i < 3000; i++) {
      const row = sample.cloneNode(true) as HTMLElement;
      row.style.position = 'relative';
      row.style.top = '0';
      ref.appendChild(row);
    }
    table.style.display = 'none';
    table.parentElement?.appendChild(ref);
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    const deltas: number[] = [];
    let last = performance.now();
    for (let i = 0; i < n; i++) {
      ref.scrollTop += px;
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
    }
    ref.remove();
    table.style.display = '';
    deltas.sort((a, b) => a - b);
    const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
    return { mean, p95: deltas[Math.floor(deltas.length * 0.95)], max: deltas[deltas.length - 1], slow: deltas.filter((d) => d > 50).length };
  }, [pxPerFrame, frames] as [number, number]);
}

async function browserPart(): Promise<void> {
  const skip = e2eSkipReason();
  if (skip) { console.log(`inspector e2e bench skipped: ${skip}`); return; }
  const ws = path.join(benchDir, 'inspector-ws');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  symlinkSync(big, path.join(ws, 'big.pt'));
  symlinkSync(many, path.join(ws, 'big_table.pt'));
  copyFileSync(path.join(repoRoot, 'examples', 'resnet_tiny.pt'), path.join(ws, 'resnet_tiny.pt'));
  copyFileSync(path.join(repoRoot, 'examples', 'views.pt'), path.join(ws, 'views.pt'));
  await withWorkbench({ workspace: ws, copyWorkspace: false, name: 'bench-inspector', viewport: { width: 1500, height: 950 } }, async (wb) => {
    await paletteCommands(wb.page, 'Tensorscope: Open Checkpoint');
    await firstRow(wb.page, 'views.pt'); // activation and first webview, not measured
    const small = await firstRow(wb.page, 'resnet_tiny.pt');
    const large = await firstRow(wb.page, 'big.pt');
    console.log(`inspector e2e: click → first row: resnet_tiny.pt ${small.ms} ms (reference), big.pt (1.7 GB, 4,400 tensors) ${large.ms} ms; ratio ${(large.ms / small.ms).toFixed(2)}; target < 1000 ms`);
    await wb.shot('big');
    const huge = await firstRow(wb.page, 'big_table.pt', 120_000);
    console.log(`inspector e2e: click → first row: big_table.pt (100,000 tensors) ${huge.ms} ms; ratio ${(huge.ms / small.ms).toFixed(2)}`);
    const idle = await scrollFrames(huge.frame, 0, 120);
    const ref = await referenceScroll(huge.frame, 66, 300);
    const slow = await scrollFrames(huge.frame, 66, 300);     // 3 rows per frame
    const fast = await scrollFrames(huge.frame, 2200, 150);   // 100 rows per frame (a flung scroll bar)
    const f = (x: number) => x.toFixed(1);
    console.log(`inspector e2e scroll: idle frame ${f(idle.mean)} ms; reference (3,000 plain rows, 3 rows/frame): mean ${f(ref.mean)} p95 ${f(ref.p95)} max ${f(ref.max)} ms, frames >50 ms ${ref.slow}/300`);
    console.log(`inspector e2e scroll of 100,000 rows, 3 rows/frame: mean ${f(slow.mean)} p95 ${f(slow.p95)} max ${f(slow.max)} ms, frames >50 ms ${slow.slow}/300, frames showing unloaded rows ${slow.blanks}; ratio to reference ${(slow.mean / ref.mean).toFixed(2)}`);
    console.log(`inspector e2e scroll of 100,000 rows, 100 rows/frame: mean ${f(fast.mean)} p95 ${f(fast.p95)} max ${f(fast.max)} ms, frames >50 ms ${fast.slow}/150, frames showing unloaded rows ${fast.blanks}; ratio to reference ${(fast.mean / ref.mean).toFixed(2)}`);
    await wb.shot('scrolled');
  });
}

async function main(): Promise<void> {
  ensureFiles();
  hostPart();
  await browserPart();
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
