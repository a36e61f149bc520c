/**
 * Tensor shapes in the debugger people already use (issue #10): a `"type": "debugpy"` launch configuration,
 * served by a test double of Microsoft's Python Debugger (test/fixtures/extensions/ms-python.debugpy runs
 * `python -m debugpy.adapter` as Microsoft's does). With Tensorscope's pydevd plugin on the PYTHONPATH,
 * VS Code's own debug hover (no Alt) and the Variables view show the shape line; inline shapes, Trace
 * Autograd Graph (full node names) and Inspect Tensor work in that session, and a live view keeps its
 * real strides in the inspector (issue #12, item 4).
 * Screenshots: test-results/debugpy-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { inspectVariable, makeDebugWorkspace, showVariable } from './debugWorkspace';
import { e2eSkipReason, hover, openFileByClick, repoRoot, runCommand, setBreakpoint, startDebugging, waitForText, webviewFrame, withWorkbench } from './harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const LAUNCH = 'Python Debugger: train.py';

function skipReason(): string | undefined {
  const base = e2eSkipReason();
  if (base) return base;
  if (spawnSync(python, ['-c', 'import torch, debugpy'], { encoding: 'utf8' }).status !== 0) return `${python} lacks torch/debugpy`;
  return undefined;
}

test('debugpy launch type: the debug hover and Variables show shapes; inline shapes, autograd graph, live strides', { skip: skipReason(), timeout: 600_000 }, async () => {
  const { dir, ws } = makeDebugWorkspace('tensorscope-debugpy-ws-', 'debugpyws', { script: 'e2e_debugpy.py', type: 'debugpy', name: LAUNCH });
  try {
    await withWorkbench({
      workspace: ws, copyWorkspace: false, name: 'debugpy',
      extraExtensionPaths: [path.join(repoRoot, 'test', 'fixtures', 'extensions', 'ms-python.debugpy')],
      env: { TENSORSCOPE_TEST_DEBUGPY_PYTHON: python },
      settings: { 'tensorscope.python.interpreter': python, 'debug.inlineValues': 'on', 'editor.hover.delay': 200 },
    }, async (wb) => {
      const { page } = wb;
      await openFileByClick(page, 'train.py');
      await setBreakpoint(page, "print('LOSS'");
      await startDebugging(page, LAUNCH);
      await page.getByText('Paused on breakpoint').first().waitFor({ timeout: 120_000 });

      // VS Code's own debug hover, no Alt: debugpy's value for `images`, which is the plugin's shape line
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.locator('.view-line', { hasText: 'torch.randn(2' }).first().click({ position: { x: 12, y: 9 } });
      await hover(page, 'images', { lineText: 'torch.randn(2', expect: '[2, 3, 64, 64] float32 cpu', timeoutMs: 60_000 });
      const debugHover = ((await page.locator('.debug-hover-widget:visible').first().textContent()) ?? '').replace(/\u00a0/g, ' ');
      assert.match(debugHover, /\[2, 3, 64, 64\] float32 cpu · tensor\(\[\[\[\[/, 'the debugger\'s own hover widget shows it');
      await wb.shot('debug-hover');
      await page.mouse.move(5, 5);

      // inline shapes after the lines above the breakpoint
      await waitForText(page, /images:\s\[2,\s3,\s64,\s64\]\sfloat32\scpu/, { timeoutMs: 60_000 });
      await wb.shot('inline-shapes');

      // the Variables view: the shape line, views marked non-contiguous
      const row = await showVariable(page, 'nhwc', '[2, 64, 64, 3] float32 cpu non-contiguous');
      await wb.shot('variables');

      // Inspect Tensor on the view: the inspector shows its real strides and layout (issue #12, item 4)
      await inspectVariable(page, row);
      const inspector = await webviewFrame(page, '#details-name', { timeoutMs: 60_000 });
      await inspector.locator('#details-name', { hasText: 'nhwc' }).waitFor({ timeout: 30_000 });
      const details = async (): Promise<string> => ((await inspector.locator('body').textContent()) ?? '').replace(/\u00a0/g, ' ');
      assert.equal(((await inspector.locator('#details-stride').textContent()) ?? '').trim(), '(12288, 64, 1, 4096)');
      assert.match(await details(), /storage offset\s*0/);
      assert.match(await details(), /layout\s*non-contiguous/);
      assert.match((await inspector.locator('#explain-notes').textContent()) ?? '', /permute/, 'the strides are explained');
      assert.match(await details(), /nhwc \(live, <module> \(train\.py:10\)\)/, 'titled by the frame\'s function and line');
      await page.waitForTimeout(300);
      await wb.shot('inspect-view');

      // Trace Autograd Graph on the loss: full node names
      await runCommand(page, 'View: Close Primary Side Bar');
      await page.locator('.tabs-container .tab', { hasText: 'train.py' }).first().click();
      await editor.locator('.view-line', { hasText: 'binary_cross_entropy' }).first().click({ position: { x: 12, y: 9 } });
      await page.keyboard.press('Home');
      await runCommand(page, 'Tensorscope: Trace Autograd Graph');
      const graph = await webviewFrame(page, '#graph-svg g.node', { timeoutMs: 60_000 });
      const names = await graph.locator('#graph-svg g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
      assert.equal(names[0], 'BinaryCrossEntropyWithLogitsBackward0');
      assert.ok(names.includes('MaxPool2DWithIndicesBackward0'), names.join(','));
      assert.equal(await graph.locator('#graph-svg g.node[data-name="BinaryCrossEntropyWithLogitsBackward0"] text.label').textContent(), 'BinaryCrossEntropyWithLogitsBackward0');
      await page.waitForTimeout(300);
      await wb.shot('autograd-graph');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
