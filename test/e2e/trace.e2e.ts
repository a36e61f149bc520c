/**
 * Trace Shapes end to end in code-server: run it on a script from the palette, see the shapes at the end of
 * the traced lines (also in the module's own file), the failing bmm's red decoration, its hover and its
 * diagnostic; an edit clears that file's shapes; Clear Shapes clears all.
 * Screenshots: test-results/trace-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { e2eSkipReason, hover, openFileByClick, repoRoot, runCommand, waitForText, withWorkbench } from './harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const extensionPath = process.env.TENSORSCOPE_E2E_EXTENSION_PATH ?? repoRoot;

function skipReason(): string | undefined {
  const base = e2eSkipReason();
  if (base) return base;
  if (!process.env.TENSORSCOPE_E2E_VSIX && !readFileSync(path.join(extensionPath, 'dist', 'extension.js'), 'utf8').includes('tensorscope.traceShapes')) {
    return 'dist/extension.js lacks Trace Shapes (node scripts/build.mjs)';
  }
  if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) return `${python} lacks torch`;
  return undefined;
}

/**
 * Waits until an end-of-line decoration containing `text` is shown (or, with `present` false, none is). An
 * extension's decoration is CSS (`::after { content: "…" }`), not text, so this reads the editors' styles.
 */
async function waitForDecoration(page: Page, text: string, timeoutMs = 30_000, present = true): Promise<void> {
  await page.waitForFunction(([t, want]) => {
    const spans = Array.from(document.querySelectorAll('.editor-instance .monaco-editor .view-lines span'));
    const found = spans.some((el) => getComputedStyle(el, '::after').content.replace(/\u00a0/g, ' ').includes(t));
    return found === want;
  }, [text, present] as const, { timeout: timeoutMs });
}

test('trace: shapes at the end of lines, a shape error decorated, hovered and listed, cleared on edit', { skip: skipReason(), timeout: 420_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-trace-ws-'));
  const ws = path.join(dir, 'tracews');
  mkdirSync(ws, { recursive: true });
  for (const f of ['e2e_trace.py', 'trace_blocks.py']) copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'trace', f), path.join(ws, f));
  try {
    await withWorkbench({
      workspace: ws, name: 'trace', extensionPath, copyWorkspace: false,
      settings: { 'tensorscope.python.interpreter': python, 'editor.hover.delay': 200 },
    }, async (wb) => {
      const { page } = wb;
      await openFileByClick(page, 'e2e_trace.py');
      await runCommand(page, 'Tensorscope: Trace Shapes');
      await waitForDecoration(page, '→ [2, 16, 32, 48] float32', 120_000); // x = torch.randn(…)
      await waitForDecoration(page, '→ [2, 16] float32'); // pooled = y.mean(…)
      // the failing line: a red decoration with the explanation
      await waitForDecoration(page, "✖ bmm: [4, 10, 32] @ [4, 16, 7]: batch2's dim 1 (16) must equal batch1's dim 2 (32)");
      await wb.shot('shapes');

      // the hover of the failing line explains it; the hover of a traced line lists its ops
      const errorHover = await hover(page, 'bmm', { lineText: 'torch.bmm', expect: "batch2's dim 1 (16)", timeoutMs: 60_000 });
      assert.match(errorHover, /Tensorscope trace: RuntimeError/);
      assert.match(errorHover, /torch: RuntimeError: Expected size for first two dimensions of batch2 tensor/);
      await wb.shot('error-hover');
      await page.mouse.move(5, 5);
      const opHover = await hover(page, 'mean', { lineText: 'pooled = y.mean', expect: 'mean [2, 16, 32, 48] → [2, 16] float32', timeoutMs: 30_000 });
      assert.match(opHover, /line 8, 1 op/);
      await page.mouse.move(5, 5);

      // the diagnostic in the Problems view
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      await waitForText(page, "bmm: [4, 10, 32] @ [4, 16, 7]: batch2's dim 1 (16) must equal batch1's dim 2 (32)");
      await wb.shot('problems');

      // the module's own file shows the shapes of its lines
      await openFileByClick(page, 'trace_blocks.py');
      await waitForDecoration(page, '→ [2, 16, 32, 48] float32  (add, relu)'); // return F.relu(x + h)

      // an edit clears that file's shapes
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.locator('.view-line', { hasText: 'h = self.conv2(h)' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.type('  # edited');
      await waitForDecoration(page, '(add, relu)', 15_000, false);

      // Clear Shapes clears every file
      await openFileByClick(page, 'e2e_trace.py');
      await runCommand(page, 'Tensorscope: Clear Shapes');
      await waitForDecoration(page, '✖', 15_000, false);
      await wb.shot('cleared');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
