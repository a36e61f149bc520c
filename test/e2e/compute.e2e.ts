/**
 * The compute commands end to end, in a real VS Code (code-server), a real browser (Chromium) and the real
 * onnxruntime-node of the extension host, driven through the UI only:
 *   - Tensorscope: Run Op… (palette → op quick pick → tensor from an open inspector → one parameter line, checked
 *     as it is typed: a view torch refuses is refused in the form):
 *     permute(conv1.weight, 0,2,3,1) opens as an unsaved tensor whose strides are torch's, then Materialize
 *     opens the contiguous copy, then Save as .npy writes a file torch reads back equal;
 *     a shape error (bmm on 4-d tensors) is explained before anything runs
 *   - Tensorscope: Check Metric… (mae between two tensors of the open inspector): value and provider shown
 *   - Explorer: Select Checkpoint for Compare → Compare Checkpoint with Selected (resnet_tiny.pt vs a DataParallel copy with a missing
 *     key, an unexpected key, a size mismatch and a perturbed tensor): the diff table webview, sorted by clicking
 *   - Run Op… on a live tensor: stopped at a breakpoint (our tensorscope-python debug type), Variables view →
 *     Inspect Tensor on `act`, then permute(act, 0,2,3,1) from the palette: torch's strides over the live values
 * Expected numbers come from torch in test/fixtures/compute_e2e.py. Screenshots: test-results/compute-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { DEBUG_LAUNCH_NAME, inspectVariable, makeDebugWorkspace, showVariable } from './debugWorkspace';
import { contextMenu, e2eSkipReason, openFileByClick, paletteCommands, repoRoot, runCommand, setBreakpoint, startDebugging, webviewFrame, withWorkbench, explorerRow } from './harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const ws = path.join(repoRoot, '.cache', 'fixtures', 'compute', 'ws');

interface Expected {
  missing: string[];
  unexpected: string[];
  conv1_max_abs_diff: number;
  conv1_mae: number;
  mae_l1c1_l1c2: number;
  cc_l1c1_l1c2: number;
  permute_0231_stride: number[];
  permute_0231_shape: number[];
}

function prepareWorkspace(): Expected {
  mkdirSync(ws, { recursive: true });
  cpSync(path.join(repoRoot, 'examples', 'resnet_tiny.pt'), path.join(ws, 'resnet_tiny.pt'));
  rmSync(path.join(ws, 'saved'), { recursive: true, force: true });
  execFileSync(python, [path.join(repoRoot, 'test', 'fixtures', 'compute_e2e.py'), ws], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(path.join(ws, 'expected.json'), 'utf8')) as Expected;
}

const skip = e2eSkipReason() ?? (existsSync(python) ? undefined : `${python} (with torch) missing`);

const quickInput = (page: Page) => page.locator('.quick-input-widget input[type="text"]');
const quickRows = (page: Page) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

/** In the open quick pick: type `filter`, then click the row whose label is exactly `label` (and whose detail contains `detail`). */
async function pick(page: Page, label: string, filter = label, detail?: string): Promise<void> {
  await quickInput(page).waitFor();
  await quickInput(page).fill(filter);
  const deadline = Date.now() + 20_000;
  for (;;) {
    // the previous input (a dialog, another quick pick) may still have been closing when we typed: type again
    if ((await quickInput(page).inputValue().catch(() => filter)) !== filter) await quickInput(page).fill(filter).catch(() => undefined);
    const n = await quickRows(page).count();
    for (let i = 0; i < n; i++) {
      const row = quickRows(page).nth(i);
      const text = ((await row.locator('.label-name').first().textContent().catch(() => '')) ?? '').trim();
      const det = detail === undefined ? '' : `${(await row.textContent().catch(() => '')) ?? ''} ${(await row.getAttribute('aria-label').catch(() => '')) ?? ''}`;
      if (text === label && (detail === undefined || det.includes(detail))) { await row.click(); return; }
    }
    if (Date.now() > deadline) throw new Error(`no quick pick row "${label}"`);
    await page.waitForTimeout(250);
  }
}

/** The open input box: check its title mentions `name`, replace the value when given, press Enter. */
async function answer(page: Page, name: string, value?: string): Promise<string> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: name }).waitFor();
  const current = await quickInput(page).inputValue();
  if (value !== undefined) await quickInput(page).fill(value);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: name }).waitFor({ state: 'hidden' }).catch(() => undefined);
  return current;
}

/**
 * The notification whose message matches: as a toast, or else in the notification center (toasts are not
 * always shown, e.g. while a webview has just taken the focus); returns its text and a way to click a button.
 */
async function notification(page: Page, text: string | RegExp, timeoutMs = 60_000): Promise<{ message: string; button: (label: string) => Promise<void> }> {
  const deadline = Date.now() + timeoutMs;
  const toasts = page.locator('.notification-toast').filter({ hasText: text });
  const center = page.locator('.notifications-center .notification-list-item').filter({ hasText: text });
  for (;;) {
    for (const loc of [toasts, center]) {
      if (await loc.first().isVisible().catch(() => false)) {
        const item = loc.first();
        const message = ((await item.locator('.notification-list-item-message').first().textContent()) ?? '').trim();
        const button = async (label: string) => {
          // a tooltip left from an earlier click can cover the button: move the mouse away until it is gone
          await page.mouse.move(700, 5);
          await page.locator('.monaco-hover').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
          await item.getByRole('button', { name: label }).first().click();
        };
        return { message, button };
      }
    }
    if (Date.now() > deadline) throw new Error(`no notification matching ${String(text)}`);
    // open the notification center (the bell in the status bar) when the toast did not show
    if (Date.now() > deadline - timeoutMs + 3000 && !(await page.locator('.notifications-center').isVisible().catch(() => false))) {
      await page.locator('.statusbar-item[id="status.notifications"] a, .statusbar-item[id="status.notifications"]').first().click().catch(() => undefined);
    }
    await page.waitForTimeout(500);
  }
}

async function inspectorWith(page: Page, title: RegExp | string, rowName: string): Promise<Frame> {
  return webviewFrame(page, async (f) => (await f.locator(`#table [data-name="${rowName}"]`).count()) > 0
    && (typeof title === 'string' ? ((await f.locator('#file-title').textContent()) ?? '').includes(title) : title.test((await f.locator('#file-title').textContent()) ?? '')), { timeoutMs: 60_000 });
}

async function cell(frame: Frame, name: string, col: string): Promise<string> {
  return ((await frame.locator(`#table [data-name="${name}"] .col-${col}`).first().textContent()) ?? '').trim();
}

/**
 * Keyboard focus into the workbench, away from a webview: F1 inside a webview's frame does not reach the palette,
 * and a webview that takes the focus while a quick pick is open closes it.
 */
async function focusWorkbench(page: Page): Promise<void> {
  await page.waitForTimeout(500);
  await page.locator('.part.sidebar .explorer-folders-view').click({ position: { x: 40, y: 400 } });
}

const tuple = (xs: number[]) => `(${xs.join(', ')})`;

test('compute: Run Op (view strides, materialize, save .npy), shape error, Check Metric, Compare Checkpoints', { skip, timeout: 480_000 }, async () => {
  const expected = prepareWorkspace();
  await withWorkbench({ workspace: ws, name: 'compute', viewport: { width: 1500, height: 950 }, settings: { 'tensorscope.compute.executionProviders': ['cuda', 'webgpu', 'cpu'] } }, async (wb) => {
    const { page } = wb;

    // an inspector on resnet_tiny.pt, whose tensors Run Op / Check Metric offer
    await explorerRow(page, 'resnet_tiny.pt').waitFor();
    // the custom editor is known once the extension's contributions have arrived (as in inspector.e2e.ts)
    assert.ok((await paletteCommands(page, 'Tensorscope: Run Op')).length > 0, 'Tensorscope: Run Op… in the palette');
    await openFileByClick(page, 'resnet_tiny.pt');
    await inspectorWith(page, 'resnet_tiny.pt', 'conv1.weight');
    await page.locator('.tabs-container .tab', { hasText: 'resnet_tiny.pt' }).first().dblclick();
    await focusWorkbench(page);

    // 1. Run Op… permute(conv1.weight, dims=0,2,3,1): a view over the same storage with torch's strides
    await runCommand(page, 'Tensorscope: Run Op…');
    await pick(page, 'permute');
    await quickInput(page).fill('conv1.weight');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'tensor 1' }).waitFor();
    await wb.shot('01-pick-tensor');
    await pick(page, 'conv1.weight');
    await quickInput(page).fill('0,2,3,1');
    await wb.shot('02-param');
    await answer(page, 'dims');
    const res = await inspectorWith(page, /permute\(conv1\.weight/, 'result');
    assert.equal(await cell(res, 'result', 'shape'), tuple(expected.permute_0231_shape));
    assert.equal(await cell(res, 'result', 'stride'), tuple(expected.permute_0231_stride), 'the permuted strides torch gives');
    const viewToast = await notification(page, /permute\(conv1\.weight/);
    assert.match(viewToast.message, /float32 8×3×3×3/);
    assert.match(viewToast.message, /no kernel ran \(a view\)/);
    await wb.shot('03-permute-view');

    // materialize on request: a contiguous copy with the same shape
    await viewToast.button('Materialize');
    const mat = await inspectorWith(page, /\(materialized\)/, 'result');
    assert.equal(await cell(mat, 'result', 'shape'), tuple(expected.permute_0231_shape));
    assert.equal(await cell(mat, 'result', 'stride'), '(27, 9, 3, 1)');
    const matToast = await notification(page, /\(materialized\): float32/);
    assert.match(matToast.message, /cpu|webgpu|cuda/, 'the provider that ran the copy is named');
    await wb.shot('04-materialized');

    // save as .npy: code-server's simple save dialog (a path in the quick input), with a name in the workspace
    // folder suggested; accept it
    await matToast.button('Save as .npy…');
    await quickInput(page).waitFor();
    await page.waitForFunction(() => /\.npy$/.test((document.querySelector('.quick-input-widget input[type="text"]') as HTMLInputElement | null)?.value ?? ''));
    const suggested = await quickInput(page).inputValue();
    assert.ok(suggested.startsWith(wb.workspace), `save dialog suggests a file in the workspace: ${suggested}`);
    await wb.shot('05-save-dialog');
    await page.waitForTimeout(500);   // the simple dialog validates the path asynchronously
    await page.keyboard.press('Enter');
    const ok = page.locator('.quick-input-widget').getByRole('button', { name: 'OK' });
    if (await ok.isVisible().catch(() => false)) await ok.click().catch(() => undefined);
    const savedMsg = await notification(page, /Saved .*\.npy/);
    const saved = /Saved (.*\.npy)/.exec(savedMsg.message)?.[1] ?? '';
    assert.equal(saved, suggested);
    const check = execFileSync(python, ['-c', [
      'import sys, numpy as np, torch',
      'a = np.load(sys.argv[1]); w = torch.load(sys.argv[2])["conv1.weight"].permute(0, 2, 3, 1)',
      'print(a.shape, a.dtype, bool(np.array_equal(a, w.numpy())))',
    ].join('\n'), saved, path.join(wb.workspace, 'resnet_tiny.pt')], { encoding: 'utf8' }).trim();
    assert.equal(check, '(8, 3, 3, 3) float32 True', 'the saved .npy equals torch\'s permute');
    await page.keyboard.press('Escape');

    // a result is itself an open inspector: view(result, -1) of the permuted view is refused as torch refuses it,
    // with the reason and the reshape alternative
    await focusWorkbench(page);
    await runCommand(page, 'Tensorscope: Run Op…');
    await pick(page, 'view');
    await pick(page, 'result', 'result', 'dims=0,2,3,1)');
    // the parameter line is checked as it is typed: the refusal shows in the form, before anything runs
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'view(input, shape)' }).waitFor();
    await quickInput(page).fill('-1');
    const refusal = page.locator('.quick-input-widget .quick-input-message', { hasText: /view\(216\) is not possible/ });
    await refusal.waitFor();
    const refused = (await refusal.textContent()) ?? '';
    assert.match(refused, /strides 27,3,1,9/);
    assert.match(refused, /Use reshape\(216\)/);
    await wb.shot('05b-view-refused-as-typed');
    await quickInput(page).fill('216, 1');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: /view\(216, 1\) is not possible/ }).waitFor();
    await page.keyboard.press('Escape');

    // Check Metric… on a .npy file (Browse…, code-server's simple open dialog) against the materialized result:
    // the saved file holds the same values, so max_abs_diff is 0
    await focusWorkbench(page);
    await runCommand(page, 'Tensorscope: Check Metric…');
    await pick(page, 'max_abs_diff');
    await pick(page, 'Browse for a .npy file…', 'Browse');
    await quickInput(page).waitFor();
    await page.waitForFunction(() => ((document.querySelector('.quick-input-widget input[type="text"]') as HTMLInputElement | null)?.value ?? '').startsWith('/'));
    // the dialog fills in its folder asynchronously and may overwrite what was typed: type until it stays
    for (let i = 0; i < 20; i++) {
      await quickInput(page).fill(saved);
      await page.waitForTimeout(700);
      if ((await quickInput(page).inputValue()) === saved) break;
    }
    await page.keyboard.press('Enter');
    const okButton = page.locator('.quick-input-widget').getByRole('button', { name: 'OK' });
    if (!(await okButton.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false))) await okButton.click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'max_abs_diff: target' }).waitFor();
    await pick(page, 'result', 'result', '(materialized)');
    while (await page.locator('.quick-input-widget .quick-input-title', { hasText: /^max_abs_diff: / }).isVisible()) await page.keyboard.press('Enter');
    const npyMetric = await notification(page, /max_abs_diff\(permute_.*\.npy, result\) = 0 /);
    assert.match(npyMetric.message, /\((cpu|webgpu|cuda)\)/);
    await wb.shot('06-npy-metric');

    // 2. a shape error is explained before anything runs
    await focusWorkbench(page);
    await runCommand(page, 'Tensorscope: Run Op…');
    await pick(page, 'bmm');
    await pick(page, 'conv1.weight');
    await pick(page, 'layer1.0.conv1.weight');
    const err = await notification(page, /bmm/);
    assert.match(err.message, /bmm expects b×n×m and b×m×p; got 8×3×3×3/);
    await wb.shot('07-shape-error');

    // 3. Check Metric… mae(layer1.0.conv1.weight, layer1.0.conv2.weight)
    await focusWorkbench(page);
    await runCommand(page, 'Tensorscope: Check Metric…');
    await pick(page, 'mae');
    await pick(page, 'layer1.0.conv1.weight');
    await pick(page, 'layer1.0.conv2.weight');
    while (await page.locator('.quick-input-widget .quick-input-title', { hasText: /^mae: / }).isVisible()) await page.keyboard.press('Enter');
    const metric = await notification(page, /mae\(layer1\.0\.conv1\.weight, layer1\.0\.conv2\.weight\) = /);
    const m = /= ([-\d.e+]+).*\((cpu|webgpu|cuda)\)/.exec(metric.message);
    assert.ok(m, metric.message);
    assert.ok(Math.abs(Number(m[1]) - expected.mae_l1c1_l1c2) <= 1e-5 * Math.max(1, expected.mae_l1c1_l1c2), `${m[1]} vs torch ${expected.mae_l1c1_l1c2}`);
    assert.equal(m[2], 'cpu', 'cuda and webgpu are unavailable here: the fallback ran on cpu and says so');
    await wb.shot('08-metric');
    await page.keyboard.press('Escape');

    // 4. Explorer: Select Checkpoint for Compare → Compare Checkpoint with Selected
    await focusWorkbench(page);
    await contextMenu(page, 'resnet_tiny.pt', 'Select Checkpoint for Compare');
    await focusWorkbench(page);
    await contextMenu(page, 'ddp_resnet.pt', 'Compare Checkpoint with Selected', { shotName: 'compute-09-menu' });
    const diff = await webviewFrame(page, '#root table th[data-key="max_abs_diff"]', { timeoutMs: 60_000 });
    const text = (await diff.locator('#root').textContent()) ?? '';
    assert.match(text, /B: state dict at the top level \(\d+ tensors\), prefix `module\.` removed/);
    assert.match(text, new RegExp(`Missing keys \\(${expected.missing.length}\\)`));
    for (const k of expected.missing) assert.ok(text.includes(k), `missing ${k} listed`);
    assert.match(text, new RegExp(`Unexpected keys \\(${expected.unexpected.length}\\)`));
    for (const k of expected.unexpected) assert.ok(text.includes(k), `unexpected ${k} listed`);
    assert.match(text, /Size mismatches \(1\)/);
    assert.match(text, /fc\.weight/);
    // sorted by max |a−b| descending: conv1.weight (the only changed tensor) comes first
    const first = diff.locator('table tbody tr').first().locator('td');
    assert.equal(((await first.nth(0).textContent()) ?? '').trim(), 'conv1.weight');
    const maxAbs = Number((await first.nth(3).textContent())?.trim());
    const mae = Number((await first.nth(4).textContent())?.trim());
    assert.ok(Math.abs(maxAbs - expected.conv1_max_abs_diff) < 1e-5, `max_abs_diff ${maxAbs} vs torch ${expected.conv1_max_abs_diff}`);
    assert.ok(Math.abs(mae - expected.conv1_mae) < 1e-5, `mae ${mae} vs torch ${expected.conv1_mae}`);
    await wb.shot('10-diff-table');
    // click "tensor" to sort by key ascending
    await diff.locator('th', { hasText: 'tensor' }).click();
    const keys = await diff.locator('table tbody tr td:first-child').allTextContents();
    assert.deepEqual(keys, [...keys].sort((x, y) => x.localeCompare(y)), 'sorted by key');
    await wb.shot('11-diff-sorted-by-key');
  });
});

const debugSkip = skip ?? (spawnSync(python, ['-c', 'import torch, debugpy'], { encoding: 'utf8' }).status === 0 ? undefined : `${python} lacks torch/debugpy`);

test('compute: Run Op on a live tensor opened through the debugger (Inspect Tensor)', { skip: debugSkip, timeout: 300_000 }, async () => {
  const { dir, ws: dws } = makeDebugWorkspace('tensorscope-compute-live-', 'livews');
  try {
    await withWorkbench({ workspace: dws, name: 'compute-live', viewport: { width: 1500, height: 950 }, settings: { 'tensorscope.python.interpreter': python } }, async (wb) => {
      const { page } = wb;
      await openFileByClick(page, 'train.py');
      await setBreakpoint(page, "print('LOSS'");
      await startDebugging(page, DEBUG_LAUNCH_NAME);
      await page.getByText('Paused on breakpoint').first().waitFor({ timeout: 90_000 });

      // Variables view → Inspect Tensor on `act` (torch.randn(2, 3, 8, 8)): a live inspector
      await inspectVariable(page, await showVariable(page, 'act', '[2, 3, 8, 8] float32 cpu'));
      await inspectorWith(page, 'act (live, ', 'act');

      // Run Op… permute(act, dims=0,2,3,1): the live tensor is offered; the result has torch's strides
      await page.waitForTimeout(500);
      await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'torch.randn(2' }).first().click().catch(async () => {
        await page.locator('.part.titlebar').click({ position: { x: 700, y: 10 } });
      });
      await runCommand(page, 'Tensorscope: Run Op…');
      await pick(page, 'permute');
      await quickInput(page).fill('act');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'tensor 1' }).waitFor();
      await wb.shot('01-pick-live-tensor');
      await pick(page, 'act');
      await quickInput(page).fill('0,2,3,1');
      await answer(page, 'dims');
      const res = await inspectorWith(page, /permute\(act/, 'result');
      assert.equal(await cell(res, 'result', 'shape'), '(2, 8, 8, 3)');
      assert.equal(await cell(res, 'result', 'stride'), '(192, 8, 1, 64)', 'torch.randn(2,3,8,8).permute(0,2,3,1).stride()');
      await notification(page, /permute\(act, dims=0,2,3,1\): float32 2×8×8×3/);
      await wb.shot('02-live-permute');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
