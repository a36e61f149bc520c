/**
 * Training checkpoints end to end, in a real VS Code (code-server) and a real browser (Chromium), through the UI:
 *   - Explorer: Select Checkpoint for Compare (a training checkpoint: model + optimizer + scheduler + best_acc1)
 *     → Compare Checkpoint with Selected (a bare state dict): the panel says which state dict it took from each
 *     file and what it left out, and that load_state_dict(strict=True) would succeed; "Choose State Dicts…"
 *     (quick picks) compares the whole file instead, and the panel says so and that loading would now fail
 *   - a checkpoint with broken layers opened by click → Summary → Compute all statistics → "Show suspicious
 *     tensors": the table keeps the flagged tensors (NaN, all zeros, constant, exploding) with min/max/… columns
 *   - a TorchScript `.jit` opens in the inspector on click
 * Fixtures: test/fixtures/make_train_fixtures.py (real torch). Screenshots: test-results/training-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { contextMenu, e2eSkipReason, explorerRow, openFileByClick, paletteCommands, webviewFrame, withWorkbench } from './harness';
import { ensureTrainFixtures, trainFixtureDir } from '../trainFixtures';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const ws = path.join(trainFixtureDir, 'ws');
const FILES = ['train.pth', 'tuned_sd.pt', 'broken_layers.pt', 'scripted.jit'];

const skip = e2eSkipReason() ?? (existsSync(python) ? undefined : `${python} (with torch) missing`);

/** Keyboard focus back in the workbench: a webview that has it swallows palette keys and closes quick picks. */
async function focusWorkbench(page: Page): Promise<void> {
  await page.waitForTimeout(500);
  await page.locator('.part.sidebar .explorer-folders-view').click({ position: { x: 40, y: 400 } });
}

/** In the open quick pick (its title containing `title`), the row labelled `label`. */
async function pickRow(page: Page, title: string, label: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) }).first();
  await row.click();
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
}

const text = async (f: Frame, selector: string) => ((await f.locator(selector).first().textContent()) ?? '').trim();

test('training: compare a training checkpoint with a state dict (what was chosen, the picker), statistics columns, .jit on click', { skip, timeout: 480_000 }, async (t) => {
  const why = ensureTrainFixtures();
  if (why) { t.skip(why); return; }
  mkdirSync(ws, { recursive: true });
  for (const f of FILES) cpSync(path.join(trainFixtureDir, f), path.join(ws, f));
  await withWorkbench({ workspace: ws, name: 'training', viewport: { width: 1500, height: 950 } }, async (wb) => {
    const { page } = wb;
    await explorerRow(page, 'train.pth').waitFor();
    assert.ok((await paletteCommands(page, 'Tensorscope: Compare Checkpoints')).length > 0, 'the extension is active');

    // 1. compare: the state dict found in each file, said in words, and load_state_dict's verdict
    await contextMenu(page, 'train.pth', 'Select Checkpoint for Compare');
    await focusWorkbench(page);
    await contextMenu(page, 'tuned_sd.pt', 'Compare Checkpoint with Selected');
    let diff = await webviewFrame(page, '#root .choice-a', { timeoutMs: 60_000 });
    assert.equal(await text(diff, '.choice-a'), 'A: state dict at `model` (11 tensors), no prefix removed; left out: optimizer state (18), `best_acc1` (1)');
    assert.equal(await text(diff, '.choice-b'), 'B: state dict at the top level (11 tensors), no prefix removed');
    assert.equal(await text(diff, '.verdict'), 'load_state_dict(strict=True) would succeed');
    assert.match((await diff.locator('#root').textContent()) ?? '', /Matched tensors \(11\)/);
    await wb.shot('01-compare');

    // 2. the picker: A's whole file instead of its `model` entry
    await diff.locator('vscode-button#choose', { hasText: 'Choose State Dicts…' }).click();
    await pickRow(page, 'state dict of A', '(top level)');
    await pickRow(page, 'state dict of B', '(top level)');
    await pickRow(page, 'key prefixes of A', 'Detect');
    diff = await webviewFrame(page, async (f) => (await text(f, '.choice-a')).includes('as asked'), { timeoutMs: 60_000 });
    assert.match(await text(diff, '.choice-a'), /^A: state dict at the top level \(12 tensors, as asked\), no prefix removed; left out: optimizer state \(18\)$/);
    assert.equal(await text(diff, '.verdict'), 'load_state_dict(strict=True) would fail: 12 missing keys, 11 unexpected keys, 0 size mismatches');
    await wb.shot('02-compare-chosen');

    // 3. statistics columns: Compute all statistics, then one click to the suspicious tensors
    await focusWorkbench(page);
    await openFileByClick(page, 'broken_layers.pt');
    const frame = await webviewFrame(page, async (f) => (await f.locator('#table [data-name="ok.weight"]').count()) > 0
      && ((await f.locator('#file-title').textContent()) ?? '').includes('broken_layers.pt'), { timeoutMs: 60_000 });
    await frame.locator('#tab-summary').click();
    await frame.locator('vscode-button', { hasText: 'Compute all statistics' }).click();
    await frame.locator('#all-stats', { hasText: '4 suspicious' }).waitFor({ timeout: 60_000 });
    await wb.shot('03-statistics-done');
    await frame.locator('#show-suspicious').click();
    await frame.locator('#table [data-name="huge.weight"] .col-flags').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('#filter input').inputValue(), 'flag:>0');
    const flags = async (name: string) => text(frame, `#table [data-name="${name}"] .col-flags`);
    assert.equal(await flags('nan.weight'), 'nan');
    assert.equal(await flags('zero.bias'), 'zeros');
    assert.equal(await flags('dead.weight'), 'dead');
    assert.equal(await flags('huge.weight'), 'exploding');
    assert.equal(await frame.locator('#table [data-name="ok.weight"]').count(), 0, 'the healthy tensor is filtered out');
    assert.equal(await text(frame, '#table [data-name="zero.bias"] .col-zeros'), '100');
    assert.equal(await text(frame, '#table [data-name="dead.weight"] .col-std'), '0');
    assert.equal(await text(frame, '#table [data-name="nan.weight"] .col-naninf'), '1');
    for (const col of ['min', 'max', 'mean', 'std']) assert.equal(await frame.locator(`.thead .col-${col}`).count(), 1, `${col} header`);
    await wb.shot('04-suspicious');
    // the toggle clears the term: every tensor again, with its statistics
    await frame.locator('#suspicious').click();
    await frame.locator('#table [data-name="ok.weight"] .col-flags').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('#filter input').inputValue(), '');
    assert.equal(await flags('ok.weight'), '');

    // 4. a TorchScript .jit opens in the inspector on click
    await focusWorkbench(page);
    await openFileByClick(page, 'scripted.jit');
    await webviewFrame(page, async (f) => (await f.locator('#table [data-name="weight"]').count()) > 0
      && ((await f.locator('#file-title').textContent()) ?? '').includes('scripted.jit'), { timeoutMs: 60_000 });
    await wb.shot('05-jit');

    const ours = wb.errors.filter((e) => /Content Security Policy|webview\.js|Refused/.test(e));
    assert.deepEqual(ours, [], 'no CSP violations or webview errors');
  });
});
