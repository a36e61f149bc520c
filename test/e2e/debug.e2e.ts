/**
 * The debugger features end to end in code-server, with our `tensorscope-python` debug type (debugpy's
 * adapter, no Python extension): set a breakpoint, start debugging, hover a tensor and read its shape,
 * see inline shapes, trace the autograd graph of the loss and see it drawn in the graph webview, open a live
 * tensor in the inspector (Inspect Tensor).
 * Screenshots: test-results/debug-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DEBUG_LAUNCH_NAME, inspectVariable, makeDebugWorkspace, showVariable } from './debugWorkspace';
import { e2eSkipReason, hover, openFileByClick, repoRoot, runCommand, setBreakpoint, startDebugging, waitForText, webviewFrame, withWorkbench } from './harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
/** the unpacked extension to load (default: this working tree) */
const extensionPath = process.env.TENSORSCOPE_E2E_EXTENSION_PATH ?? repoRoot;

function skipReason(): string | undefined {
  const base = e2eSkipReason();
  if (base) return base;
  const bundle = path.join(extensionPath, 'dist', 'extension.js');
  if (process.env.TENSORSCOPE_E2E_VSIX) return undefined;
  if (!readFileSync(bundle, 'utf8').includes('tensorscope.debug.traceAutograd')) {
    return 'registerDebugFeatures (src/extension/debug/register.ts) is not wired into src/extension/extension.ts yet';
  }
  const r = spawnSync(python, ['-c', 'import torch, debugpy'], { encoding: 'utf8' });
  if (r.status !== 0) return `${python} lacks torch/debugpy`;
  return undefined;
}

test('debug: breakpoint, tensor hover, inline shapes and the autograd graph in code-server', { skip: skipReason(), timeout: 600_000 }, async () => {
  const { dir, ws } = makeDebugWorkspace('tensorscope-debug-ws-', 'debugws');
  try {
    await withWorkbench({
      workspace: ws, name: 'debug', extensionPath,
      settings: { 'tensorscope.python.interpreter': python, 'debug.inlineValues': 'on', 'editor.hover.delay': 200 },
    }, async (wb) => {
      const { page } = wb;
      await openFileByClick(page, 'train.py');
      await setBreakpoint(page, "print('LOSS'");
      await startDebugging(page, DEBUG_LAUNCH_NAME);
      await page.getByText('Paused on breakpoint').first().waitFor({ timeout: 90_000 });
      await wb.shot('paused');

      // the editor needs focus for hovers; our hover card (shape, dtype, device, strides, statistics) shows over `act`
      // (hold Alt where VS Code shows its debug hover instead)
      const editor = page.locator('.editor-instance .monaco-editor').first();
      const actLine = editor.locator('.view-line', { hasText: 'torch.randn(2' }).first();
      await actLine.click({ position: { x: 12, y: 9 } });
      await page.keyboard.down('Alt');
      try {
        const text = await hover(page, 'act', { lineText: 'torch.randn(2', expect: 'n=384', timeoutMs: 60_000 });
        assert.match(text, /tensor\[2, 3, 8, 8\] float32 cpu n=384/);
        assert.match(text, /stride\s*\[192, 64, 8, 1\]/);
        await wb.shot('hover');
      } finally {
        await page.keyboard.up('Alt');
      }
      // the debugger's own hover (Ctrl+K Ctrl+I with the cursor on `act`) shows debugpy's value: the presentation
      // plugin's shape line (dist/pythonpath is on the program's PYTHONPATH)
      await page.mouse.move(5, 5);
      await actLine.click({ position: { x: 12, y: 9 } });
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const debugHover = page.locator('.debug-hover-widget').first();
      await debugHover.getByText('[2, 3, 8, 8] float32 cpu · tensor(').first().waitFor({ timeout: 30_000 });
      await wb.shot('debug-hover');
      await page.keyboard.press('Escape');

      // inline shapes after the lines above the breakpoint
      await waitForText(page, /act:\s\[2,\s3,\s8,\s8\]\sfloat32\scpu/, { timeoutMs: 30_000 }); // the editor renders spaces as U+00A0

      // trace the loss: the cursor at the start of `loss = model(inputs)…` (the command takes the expression under it)
      await editor.locator('.view-line', { hasText: 'model(inputs)' }).first().click({ position: { x: 12, y: 9 } });
      await page.keyboard.press('Home');
      await runCommand(page, 'View: Close Primary Side Bar'); // room for the graph beside the editor
      await runCommand(page, 'Tensorscope: Trace Autograd Graph');
      const frame = await webviewFrame(page, '#graph-svg g.node', { timeoutMs: 60_000 });
      const names = await frame.locator('#graph-svg g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
      assert.equal(names[0], 'MeanBackward0');
      assert.ok(names.includes('AddmmBackward0') && names.includes('AccumulateGrad'), names.join(','));
      const info = (await frame.locator('#info').textContent()) ?? '';
      assert.match(info, /loss: \d+ nodes/);
      await page.waitForTimeout(300);
      await wb.shot('autograd-graph');
      // click a node for details
      await frame.locator('#graph-svg g.node[data-name="AddmmBackward0"]').first().click();
      await frame.locator('#details h3').waitFor();
      assert.match((await frame.locator('#details').textContent()) ?? '', /saved mat1/);
      await page.waitForTimeout(300);
      await wb.shot('autograd-details');
      assert.ok(existsSync(path.join(repoRoot, 'test-results', 'debug-autograd-graph.png')));

      // the Variables view shows the plugin's shape line; its context menu has Inspect Tensor,
      // which opens the live tensor in the inspector (values fetched through the debugger in bounded slices)
      const actRow = await showVariable(page, 'act', '[2, 3, 8, 8] float32 cpu · tensor(');
      await wb.shot('variables');
      await inspectVariable(page, actRow);
      const inspector = await webviewFrame(page, async (f) => ((await f.locator('body').textContent()) ?? '').includes('act (live, '), { timeoutMs: 60_000 });
      await waitForText(inspector, 'act (live, <module> (train.py:8))', { timeoutMs: 30_000 });
      await page.waitForTimeout(500);
      await wb.shot('inspect-tensor');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
