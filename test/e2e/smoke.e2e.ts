/**
 * Smoke test of the whole stack: code-server + Chromium start, the Tensorscope extension loads from the working
 * tree (or $TENSORSCOPE_E2E_VSIX), activates, registers its commands and shows them in the palette; and the .vsix
 * that `npm run package` makes installs into code-server and activates with its runtime dependencies.
 * Screenshot: test-results/smoke-workbench.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { e2eSkipReason, explorerRow, paletteCommands, repoRoot, runCommand, withWorkbench } from './harness';
import { runExtensionTests } from './run-exttests';

interface Manifest { contributes?: { commands?: Array<{ command: string; title: string; category?: string }> } }
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const skip = e2eSkipReason();

test('smoke: the extension activates and registers every contributed command (extension host)', { skip, timeout: 240_000 }, async () => {
  const r = await runExtensionTests({ testsModule: 'test/e2e/exthost/activation.ts', workspace: 'examples', name: 'smoke-exthost' });
  assert.equal(r.code, 0, `extension-host tests failed:\n${r.output.slice(-30).join('\n')}`);
  assert.ok(r.output.some((l) => l.includes('[activation]')), 'the activation check ran');
});

test('smoke: examples/ opens in code-server and Tensorscope commands are in the palette', { skip, timeout: 240_000 }, async () => {
  const commands = manifest.contributes?.commands ?? [];
  assert.ok(commands.length > 0, 'package.json contributes at least one command');
  await withWorkbench({ workspace: 'examples', name: 'smoke' }, async (wb) => {
    await explorerRow(wb.page, 'resnet_tiny.pt').waitFor();
    const first = commands[0];
    const want = first.category ? `${first.category}: ${first.title}` : first.title;
    const inPalette = await paletteCommands(wb.page, want);
    if (!inPalette.includes(want)) {
      const titles = await paletteCommands(wb.page, 'Tensorscope', { timeoutMs: 5000 });
      assert.fail(`palette lacks "${want}" (it has ${JSON.stringify(inPalette)}; Tensorscope entries: ${JSON.stringify(titles)})`);
    }
    await wb.shot('workbench');
    // run a command from the palette: that activates the extension, which Running Extensions then lists
    const showLog = commands.find((c) => c.command === 'tensorscope.showLog');
    if (showLog) {
      await runCommand(wb.page, `${showLog.category ?? 'Tensorscope'}: ${showLog.title}`);
      await runCommand(wb.page, 'Developer: Show Running Extensions');
      // the list is sorted by activation time and only draws the rows in view: scroll until ours shows
      const row = wb.page.locator('.runtime-extensions-editor .extension').filter({ hasText: /tensorscope/i }).first();
      await wb.page.locator('.runtime-extensions-editor .extension').first().waitFor({ timeout: 30_000 });
      const box = await wb.page.locator('.runtime-extensions-editor').boundingBox();
      if (box) await wb.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2); // wheel over the list
      const deadline = Date.now() + 30_000;
      while (!(await row.isVisible())) {
        if (Date.now() > deadline) throw new Error('Tensorscope is not in Running Extensions');
        await wb.page.mouse.wheel(0, 300);
        await wb.page.waitForTimeout(300);
      }
      assert.match((await row.textContent()) ?? '', /Activation: \d+ms/, 'listed as activated');
      await wb.shot('running-extensions');
    }
  });
});

test('smoke: the packaged .vsix installs in code-server and activates with onnxruntime-node', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-vsix-'));
  try {
    const vsix = execFileSync('bash', [path.join(repoRoot, 'scripts/package.sh'), '--no-build', path.join(dir, 'tensorscope.vsix')],
      { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 }).trim().split('\n').pop() ?? '';
    const mb = statSync(vsix).size / 2 ** 20;
    assert.ok(mb < 60, `.vsix is ${mb.toFixed(1)} MB; .vscodeignore should keep it small`);
    const r = await runExtensionTests({ testsModule: 'test/e2e/exthost/activation.ts', workspace: 'examples', vsix, name: 'smoke-vsix' });
    assert.equal(r.code, 0, `extension-host tests against the installed .vsix failed:\n${r.output.slice(-30).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
