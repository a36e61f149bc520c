/** A throw-away workspace with a debug fixture as `train.py` and one launch configuration (our `tensorscope-python` type by default). */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, runCommand } from './harness';

/** The launch configuration's name, as shown in the Run and Debug view. */
export const DEBUG_LAUNCH_NAME = 'Tensorscope: train.py';

/** What goes into the workspace: `train.py` from a test/fixtures/debug script, and one launch configuration. */
export interface DebugWorkspaceOptions { script?: string; type?: string; name?: string }

/** Creates `<tmp>/<prefix>XXXX/<folder>`; remove `dir` when done. Default: e2e_train.py, our `tensorscope-python` type. */
export function makeDebugWorkspace(prefix: string, folder: string, o: DebugWorkspaceOptions = {}): { dir: string; ws: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const ws = path.join(dir, folder);
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'debug', o.script ?? 'e2e_train.py'), path.join(ws, 'train.py'));
  writeFileSync(path.join(ws, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: o.type ?? 'tensorscope-python', request: 'launch', name: o.name ?? DEBUG_LAUNCH_NAME,
      program: '${workspaceFolder}/train.py', console: 'internalConsole', justMyCode: true,
    }],
  }, null, 2));
  return { dir, ws };
}

/** Run and Debug view → Locals → the row of variable `name` once its value shows `description`. */
export async function showVariable(page: Page, name: string, description: string): Promise<Locator> {
  await runCommand(page, 'View: Show Run and Debug');
  const vars = page.locator('.debug-variables .monaco-list-row');
  await vars.filter({ hasText: 'Locals' }).first().click();
  const row = vars.filter({ hasText: new RegExp(`^${name}\\b`) }).first();
  await row.waitFor({ timeout: 30_000 });
  await page.waitForFunction(([n, d]) => Array.from(document.querySelectorAll('.debug-variables .monaco-list-row'))
    .some((r) => {
      const text = (r.textContent ?? '').replace(/\u00a0/g, ' ');
      return new RegExp(`^${n}\\b`).test(text) && text.includes(d);
    }), [name, description] as const, { timeout: 30_000 });
  return row;
}

/** The variable row's context menu → Inspect Tensor. */
export async function inspectVariable(page: Page, row: Locator): Promise<void> {
  await row.click({ button: 'right' });
  const item = page.getByRole('menuitem', { name: 'Inspect Tensor' });
  await item.waitFor();
  await page.waitForTimeout(300); // the menu fades in (recipe G9)
  await item.click();
  if (await item.isVisible().catch(() => false)) await page.keyboard.press('Enter'); // a click during the fade can be lost
}
