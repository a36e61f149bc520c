/**
 * The inspector end to end, in a real VS Code (code-server) and a real browser (Chromium): open a checkpoint by
 * click and from the Explorer context menu, read names and strides from the table inside the webview frame,
 * filter, compute a tensor's statistics (histogram drawn), slice a 2D heatmap, follow a storage-sharing link,
 * hover a key string in a .py file, and show hostile tensor names as text. Screenshots: test-results/inspector-*.png.
 * The time from the click to the first table row is printed (and used by bench/inspector-open.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { contextMenu, e2eSkipReason, hover, openFileByClick, paletteCommands, repoRoot, runCommand, webviewFrame, withWorkbench, explorerRow } from './harness';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const ws = path.join(repoRoot, '.cache', 'fixtures', 'inspector', 'ws');

function prepareWorkspace(): void {
  mkdirSync(ws, { recursive: true });
  for (const f of ['resnet_tiny.pt', 'views.pt', 'training_checkpoint.pt', 'keys.py']) cpSync(path.join(repoRoot, 'examples', f), path.join(ws, f));
  const dcp = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11', 'dcp_ckpt');
  if (existsSync(dcp) && !existsSync(path.join(ws, 'dcp_ckpt'))) cpSync(dcp, path.join(ws, 'dcp_ckpt'), { recursive: true });
  if (!existsSync(path.join(ws, 'hostile_names.pt')) || !existsSync(path.join(ws, 'layouts.pt'))) {
    execFileSync(python, [path.join(repoRoot, 'test', 'fixtures', 'inspector_e2e.py'), ws], { stdio: 'inherit' });
  }
}

const skip = e2eSkipReason() ?? (existsSync(python) ? undefined : `${python} (with torch) missing`);

/** the inspector webview whose table shows a row for `name` */
async function inspectorWith(page: Parameters<typeof webviewFrame>[0], name: string, timeoutMs = 60_000): Promise<Frame> {
  return webviewFrame(page, async (f) => (await f.locator(`#table [data-name="${cssEscape(name)}"]`).count()) > 0, { timeoutMs });
}

/** Explorer context menu → Inspect Tensors, retried once when the menu swallowed the click */
async function inspectFromMenu(page: Parameters<typeof webviewFrame>[0], entry: string, rowName: string, shotName?: string): Promise<Frame> {
  for (let attempt = 0; ; attempt++) {
    // focus the workbench first: with the keyboard focus inside a webview's frame, the menu's first click can be lost
    await page.locator('.part.sidebar .explorer-folders-view').click({ position: { x: 40, y: 400 } });
    // a shot name also makes contextMenu wait 300 ms for the menu's fade-in before clicking (an early click is lost)
    await contextMenu(page, entry, 'Inspect Tensors', { shotName: attempt === 0 && shotName ? shotName : `inspector-menu-retry-${entry}` });
    try {
      return await inspectorWith(page, rowName, 15_000);
    } catch (e) {
      if (attempt > 0) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

function cssEscape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

/** the names of the tensor rows the table shows, once they are `want` (polled: the filter is debounced) */
async function waitForRows(frame: Frame, want: string[], what: string): Promise<void> {
  const expected = JSON.stringify([...want].sort());
  let got = '';
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const names = await frame.locator('#table [data-name]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name') ?? ''));
    got = JSON.stringify(names.sort());
    if (got === expected) return;
  }
  assert.equal(got, expected, what);
}

async function cellText(frame: Frame, name: string, col: string): Promise<string> {
  return ((await frame.locator(`#table [data-name="${cssEscape(name)}"] .col-${col}`).first().textContent()) ?? '').trim();
}

test('inspector: open, read, filter, statistics, heatmap, storage links, hover, hostile names', { skip, timeout: 420_000 }, async () => {
  prepareWorkspace();
  await withWorkbench({ workspace: ws, name: 'inspector', viewport: { width: 1500, height: 950 } }, async (wb) => {
    const { page } = wb;
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });

    // 1. click a checkpoint in the Explorer: it opens in the custom editor (the default for .pt)
    await explorerRow(page, 'resnet_tiny.pt').waitFor();
    // the custom editor is known once the extension's contributions have arrived (a few seconds after the workbench)
    const cmds = await paletteCommands(page, 'Tensorscope: Open Checkpoint');
    assert.ok(cmds.length > 0, 'Tensorscope commands in the palette');
    const t0 = Date.now();
    await openFileByClick(page, 'resnet_tiny.pt');
    let frame = await inspectorWith(page, 'layer1.0.conv1.weight', 60_000).catch(() => undefined);
    if (!frame) {
      // a freshly started workbench can answer the very first click with its text editor before it knows the
      // custom editor (seen under CI load, in both tests of this file at once): the click is tried once more
      console.log('[inspector] the first click opened no inspector; closing it and clicking resnet_tiny.pt again');
      await runCommand(page, 'View: Close All Editors');
      await openFileByClick(page, 'resnet_tiny.pt');
      frame = await inspectorWith(page, 'layer1.0.conv1.weight', 90_000);
    }
    const openMs = Date.now() - t0;
    console.log(`[inspector] click → table row shown: ${openMs} ms (includes extension activation on first use)`);
    assert.equal(await cellText(frame, 'conv1.weight', 'shape'), '(8, 3, 3, 3)');
    assert.equal(await cellText(frame, 'conv1.weight', 'stride'), '(27, 9, 3, 1)');
    assert.equal(await cellText(frame, 'layer1.0.conv1.weight', 'dtype'), 'float32');
    assert.match((await frame.locator('#file-title').textContent()) ?? '', /resnet_tiny\.pt — torch-zip, 46 tensors/);
    await wb.shot('01-open-by-click');
    // keep the editor (a single click opens a preview tab, which the next click in the Explorer would replace)
    await page.locator('.tabs-container .tab', { hasText: 'resnet_tiny.pt' }).first().dblclick();

    // 2. filter by substring, then by glob
    await frame.locator('#filter input').fill('running_var');
    await frame.locator('#table [data-name="bn1.running_mean"]').waitFor({ state: 'detached' });
    // the rows of the new page arrive after the old ones are gone
    await frame.locator('#table [data-name="layer2.0.bn2.running_var"]').waitFor();
    const names = await frame.locator('#table [data-name]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    assert.ok(names.length >= 5 && names.every((n) => n?.endsWith('running_var')), JSON.stringify(names));
    await frame.locator('#table-status', { hasText: `${names.length} of 46 tensors match` }).waitFor();
    await wb.shot('02-filter');
    await frame.locator('#filter input').fill('layer1.*.conv1.weight');
    await frame.locator('#table [data-name="layer1.1.conv1.weight"]').waitFor();
    await frame.locator('#table [data-name="bn1.running_var"]').waitFor({ state: 'detached' });
    await frame.locator('#filter input').fill('');
    await frame.locator('#table [data-name="bn1.running_mean"]').waitFor();

    // keyboard: End selects the last row, Enter opens its details
    await frame.locator('#table').focus();
    await page.keyboard.press('End');
    const last = frame.locator('#table .trow.selected[data-name]');
    await last.waitFor();
    const lastName = await last.getAttribute('data-name');
    assert.equal(lastName, 'head.weight');
    await page.keyboard.press('Enter');
    await frame.locator('#details-name', { hasText: 'head.weight' }).waitFor();
    assert.match((await frame.locator('#sharing').textContent()) ?? '', /embed\.weight/, 'tied weights share a storage');
    await frame.locator('#tab-table').click();
    await frame.locator('#table').focus();
    await page.keyboard.press('Home');
    await frame.locator('#table [data-name="layer1.0.conv1.weight"]').waitFor();

    // 3. details + statistics with a histogram
    await frame.locator('#table [data-name="layer1.0.conv1.weight"]').dblclick();
    await frame.locator('#details-name', { hasText: 'layer1.0.conv1.weight' }).waitFor();
    assert.equal(((await frame.locator('#verdict').textContent()) ?? '').trim(), 'contiguous');
    await frame.locator('#compute-stats').click();
    await frame.locator('#histogram svg rect.bar').first().waitFor({ timeout: 60_000 });
    assert.ok((await frame.locator('#histogram svg rect.bar').count()) > 1);
    assert.match((await frame.locator('#stats-table').textContent()) ?? '', /mean/);
    await wb.shot('03-statistics');

    // 4. a 2D slice as a heatmap
    await frame.locator('#slice-expr input').fill('[0, 0, :, :]');
    await frame.locator('#show-values').click();
    await frame.locator('#heatmap canvas.heatmap').waitFor({ timeout: 30_000 });
    assert.match((await frame.locator('#values-info').textContent()) ?? '', /\[0, 0, 0:3, 0:3\] → shape \(3, 3\)/);
    assert.equal(await frame.locator('#values-table tbody tr').count(), 3);
    await frame.locator('#heatmap').scrollIntoViewIfNeeded();
    await wb.shot('04-heatmap');

    // 5. Explorer context menu → Inspect Tensors (a panel); views sharing one storage; follow a sharing link
    frame = await inspectFromMenu(page, 'views.pt', 'transposed', 'inspector-05-context-menu');
    assert.equal(await cellText(frame, 'transposed', 'stride'), '(1, 12)');
    assert.equal(await cellText(frame, 'transposed', 'layout'), 'non-contiguous');
    assert.equal(await cellText(frame, 'rows_2_to_5', 'offset'), '24');
    assert.equal(await cellText(frame, 'channels_last', 'layout'), 'channels_last');
    assert.equal(await cellText(frame, 'base', 'storage'), 'shared ×4');
    await wb.shot('05-views-table');
    await frame.locator('#table [data-name="transposed"]').dblclick();
    await frame.locator('#details-name', { hasText: 'transposed' }).waitFor();
    assert.match((await frame.locator('#explain-notes').textContent()) ?? '', /transposed/);
    await frame.locator('#sharing a[data-tensor="base"]').click();
    await frame.locator('#details-name', { hasText: /^base$/ }).waitFor();
    assert.equal(((await frame.locator('#details-stride').textContent()) ?? '').trim(), '(12, 1)');
    await wb.shot('06-storage-link');

    // 5b. a folder (a distributed checkpoint) from the Explorer context menu, when ../shared is there
    if (existsSync(path.join(ws, 'dcp_ckpt'))) {
      const dcpFrame = await inspectFromMenu(page, 'dcp_ckpt', 'model.stem.0.weight', 'inspector-06a-folder-menu');
      assert.match((await dcpFrame.locator('#file-title').textContent()) ?? '', /dcp_ckpt — torch-dcp/);
      assert.equal(await cellText(dcpFrame, 'model.stem.0.weight', 'shape'), '(6, 3, 3, 3)');
      await wb.shot('06b-dcp-folder');
    } else {
      console.log('[inspector] ../shared absent: the folder (DCP) step is skipped');
    }

    // 5c. state survives hiding (no retainContextWhenHidden), and a re-read on change keeps the filter
    const tab = (name: string) => page.locator('.tabs-container .tab', { hasText: name }).first();
    await tab('views.pt').click();
    frame = await inspectorWith(page, 'transposed');
    await frame.locator('#tab-table').click();
    await frame.locator('#filter input').fill('transposed');
    await frame.locator('#table [data-name="base"]').waitFor({ state: 'detached' });
    await tab('resnet_tiny.pt').click();
    await page.waitForTimeout(500);
    await tab('views.pt').click();
    frame = await inspectorWith(page, 'transposed');
    assert.equal(await frame.locator('#filter input').inputValue(), 'transposed', 'filter restored after the webview was hidden');
    assert.equal(await frame.locator('#table [data-name="base"]').count(), 0);
    execFileSync(python, ['-c', 'import sys, torch\nb = torch.arange(6.).view(2, 3)\ntorch.save({"base": b, "transposed": b.t(), "transposed_again": torch.zeros(4, 5).t()}, sys.argv[1])', path.join(wb.workspace, 'views.pt')]);
    await frame.locator('#table [data-name="transposed_again"]').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('#filter input').inputValue(), 'transposed', 'filter kept across the re-read');
    assert.equal(await cellText(frame, 'transposed', 'shape'), '(3, 2)');
    await wb.shot('06c-reloaded');

    // 6. hover a key string in a Python file while resnet_tiny.pt is open in an inspector (pinned in step 1)
    await openFileByClick(page, 'keys.py');
    const text = await hover(page, 'layer1.0.conv1.weight', { lineText: 'conv = sd[', expect: '(8, 8, 3, 3)', timeoutMs: 60_000 });
    assert.match(text, /stride\s+\(72, 9, 3, 1\)/);
    assert.match(text, /float32/);
    assert.match(text, /resnet_tiny\.pt/);
    await wb.shot('07-hover');

    // 7. hostile tensor names are text
    await openFileByClick(page, 'hostile_names.pt');
    frame = await inspectorWith(page, 'plain.weight');
    await frame.locator('#filter input').fill('');
    await frame.locator('#group input, #group').first().click().catch(() => undefined); // flat list
    const evil = frame.locator('#table [data-name="<img src=x onerror=alert(1)>"]');
    await evil.waitFor();
    assert.equal(((await evil.locator('.col-name').textContent()) ?? '').trim(), '<img src=x onerror=alert(1)>');
    assert.equal(await frame.locator('#table img').count(), 0);
    assert.equal(await frame.locator('#table script').count(), 0);
    assert.equal(await frame.locator('meta[http-equiv="Content-Security-Policy"]').count(), 1);
    assert.deepEqual(dialogs, [], 'no alert() ran');
    await wb.shot('08-hostile-names');

    // 7b. every layout kind: the Layout column's text and the `layout:` filter term agree (fixture: real torch)
    await openFileByClick(page, 'layouts.pt');
    frame = await inspectorWith(page, 'kind.expanded');
    const components = ['kind.sparse.indices', 'kind.sparse.values', 'kind.sparse_csr.crow_indices', 'kind.sparse_csr.col_indices', 'kind.sparse_csr.values'];
    const kinds: Record<string, string[]> = {
      contiguous: ['kind.contiguous', 'kind.scalar', 'kind.empty', 'kind.quantized', ...components],
      'non-contiguous': ['kind.transposed'],
      channels_last: ['kind.channels_last'],
      expanded: ['kind.expanded'],
      sparse_coo: ['kind.sparse'],
      sparse_csr: ['kind.sparse_csr'],
    };
    for (const [kind, tensors] of Object.entries(kinds)) for (const t of tensors) assert.equal(await cellText(frame, t, 'layout'), kind, t);
    for (const [kind, tensors] of Object.entries(kinds)) {
      await frame.locator('#filter input').fill(`layout:${kind}`);
      await waitForRows(frame, tensors, `layout:${kind}`);
    }
    await wb.shot('08b-layout-filter');
    // a glob is found anywhere in the name, `^` anchors it, `re:` is a regular expression
    await frame.locator('#filter input').fill('sparse*values');
    await waitForRows(frame, ['kind.sparse.values', 'kind.sparse_csr.values'], 'glob anywhere');
    await frame.locator('#filter input').fill('^sparse*values');
    await waitForRows(frame, [], 'anchored glob');
    await frame.locator('#table-status', { hasText: '0 of 14 tensors match' }).waitFor();
    await frame.locator('#filter input').fill('re:_(csr|coo)$');
    await waitForRows(frame, ['kind.sparse_csr'], 're:');
    await frame.locator('#filter input').fill('re:(');
    await frame.locator('#table-status', { hasText: 'invalid regular expression' }).waitFor();
    await frame.locator('#filter input').fill('');

    // 8. Summary and Content of a training checkpoint: optimizer state mapped to parameter names
    await openFileByClick(page, 'training_checkpoint.pt');
    frame = await inspectorWith(page, 'model.fc1.weight');
    await frame.locator('#tab-summary').click();
    await frame.locator('#facts', { hasText: 'Parameters' }).waitFor();
    assert.match((await frame.locator('#facts').textContent()) ?? '', /Tensors16/);
    await wb.shot('09-summary');
    await frame.locator('#tab-content').click();
    const optimizer = frame.locator('#content-tree summary', { hasText: /^optimizer/ }).first();
    await optimizer.click();
    await frame.locator('#content-tree summary', { hasText: /^state/ }).first().click();
    await frame.locator('#content-tree .param-name', { hasText: '→ model.fc1.weight' }).first().waitFor();
    await frame.locator('#content-tree summary', { hasText: /^args/ }).first().click();
    await frame.locator('#content-tree .leaf', { hasText: 'lr: 0.01' }).waitFor();
    await wb.shot('10-content');

    // 9. Compute All Statistics from the palette: a progress notification, then a summary message
    await page.locator('.tabs-container .tab', { hasText: 'resnet_tiny.pt' }).first().click();
    await inspectorWith(page, 'conv1.weight');
    // keyboard focus back in the workbench (F1 inside a webview's frame does not reach the palette)
    await page.locator('.part.sidebar .explorer-folders-view').click({ position: { x: 40, y: 400 } });
    await runCommand(page, 'Tensorscope: Compute All Statistics');
    const resnet = await inspectorWith(page, 'conv1.weight');
    await resnet.locator('#tab-summary').click();
    await resnet.locator('#all-stats', { hasText: 'done: 46 / 46 tensors' }).waitFor({ timeout: 60_000 });
    await wb.shot('11-all-statistics');

    // 10. reload the window: the Inspect Tensors panel comes back through its serializer, with its filter
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.tabs-container .tab', { hasText: 'views.pt' }).first().click({ timeout: 60_000 });
    frame = await inspectorWith(page, 'transposed_again', 90_000);
    assert.equal(await frame.locator('#filter input').inputValue(), 'transposed', 'filter restored after a window reload');
    await wb.shot('12-after-reload');

    const ours = wb.errors.filter((e) => /Content Security Policy|webview\.js|Refused/.test(e));
    assert.deepEqual(ours, [], 'no CSP violations or webview errors');
  });
});

test('inspector: readable in a dark and a high-contrast theme (screenshots)', { skip, timeout: 300_000 }, async () => {
  prepareWorkspace();
  for (const theme of ['Default Dark Modern', 'Default High Contrast']) {
    const slug = theme.toLowerCase().replace(/\s+/g, '-');
    await withWorkbench({ workspace: ws, name: `inspector-${slug}`, settings: { 'workbench.colorTheme': theme }, viewport: { width: 1500, height: 950 } }, async (wb) => {
      await paletteCommands(wb.page, 'Tensorscope: Open Checkpoint');
      await openFileByClick(wb.page, 'views.pt');
      // this test is about theming: opening by click is the first test's, so a click that a freshly started,
      // loaded workbench answered with its text editor (seen once under CI load) is reopened explicitly
      let frame = await inspectorWith(wb.page, 'transposed', 30_000).catch(() => undefined);
      if (!frame) {
        console.log(`[inspector] ${theme}: the click opened no inspector; reopening views.pt with the Tensorscope Inspector`);
        await runCommand(wb.page, 'View: Reopen Editor With...');
        await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Tensorscope Inspector' }).first().click({ timeout: 30_000 });
        frame = await inspectorWith(wb.page, 'transposed', 90_000);
      }
      await wb.shot('table');
      await frame.locator('#table [data-name="every_other_column"]').dblclick();
      await frame.locator('#compute-stats').click();
      await frame.locator('#histogram svg rect.bar').first().waitFor({ timeout: 60_000 });
      await frame.locator('#show-values').click();
      await frame.locator('#heatmap canvas.heatmap').waitFor({ timeout: 30_000 });
      await wb.shot('details');
      // theme colours reach the page: the body's text colour is the theme's foreground, not the browser default
      const fg = await frame.evaluate(() => getComputedStyle(document.body).color);
      assert.notEqual(fg, 'rgb(0, 0, 0)', `${theme}: text colour comes from the theme`);
    });
  }
});
