/**
 * Reusable end-to-end harness: runs the Tensorscope extension inside code-server (browser VS Code) and drives
 * it with playwright-core + Debian's /usr/bin/chromium. Fully offline. Tools come from .tools/ (installed by
 * scripts/ensure-code-server.sh, which `npm test` runs through scripts/setup.sh).
 *
 *   import { startWorkbench, runCommand, e2eSkipReason } from './harness';
 *   test('…', { skip: e2eSkipReason(), timeout: 180_000 }, async () => {
 *     const wb = await startWorkbench({ workspace: 'examples' });
 *     try { await runCommand(wb.page, 'Tensorscope: …'); await wb.shot('my-step'); }
 *     finally { await wb.close(); }
 *   });
 *
 * or `withWorkbench(opts, async (wb) => …)`, which also saves a failure screenshot and keeps the temp dir.
 *
 * Environment: TENSORSCOPE_TOOLS (tools dir, default .tools), CHROMIUM (default /usr/bin/chromium),
 * TENSORSCOPE_E2E_VSIX (load this .vsix instead of the working tree), KEEP_TMP=1 (keep temp dirs),
 * E2E_VERBOSE=1 (echo browser console errors and timings).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

// ---------------------------------------------------------------------------------------------------------------
// Paths (keep in step with scripts/tools-env.sh)

export const repoRoot = path.resolve(__dirname, '..', '..');
export const toolsDir = process.env.TENSORSCOPE_TOOLS ?? path.join(repoRoot, '.tools');
/** node 24: code-server 4.139 refuses older nodes */
export const node24 = path.join(toolsDir, 'node24', 'node_modules', 'node', 'bin', 'node');
export const codeServerEntry = path.join(toolsDir, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
/** runs node 24 in an environment without the outer npm's variables (`npm test` on node 20 exports them) */
const node24Script = path.join(repoRoot, 'scripts', 'node24.sh');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results');

/** Why e2e tests cannot run here (to pass as node:test's `skip`), or undefined when they can. */
export function e2eSkipReason(opts: { needExtension?: boolean } = {}): string | undefined {
  if (!existsSync(node24) || !existsSync(codeServerEntry)) return `code-server not installed in ${toolsDir} (run: bash scripts/ensure-code-server.sh)`;
  if (!existsSync(chromiumPath)) return `${chromiumPath} missing (apt-get install chromium)`;
  if ((opts.needExtension ?? true) && !process.env.TENSORSCOPE_E2E_VSIX && !existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    return 'dist/extension.js not built (src/extension/extension.ts missing or `node scripts/build.mjs` not run)';
  }
  return undefined;
}

/** Settings that hide code-server's default clutter (Welcome page, Chat side bar, tips, update checks). */
export const quietSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'update.mode': 'none',
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
};

// ---------------------------------------------------------------------------------------------------------------
// Starting and stopping

export interface WorkbenchOptions {
  /** folder to open (absolute, or relative to the repo root), e.g. 'examples' */
  workspace: string;
  /** copy the workspace into the temp dir first so a test cannot modify it (default true) */
  copyWorkspace?: boolean;
  /** unpacked extension folder loaded as extensionDevelopmentPath (default: the repo root) */
  extensionPath?: string;
  /** more unpacked extensions, installed into the fresh extensions folder (test doubles of other extensions, test/fixtures/extensions/) */
  extraExtensionPaths?: string[];
  /** a .vsix installed into a fresh extensions dir instead (default: $TENSORSCOPE_E2E_VSIX) */
  vsix?: string;
  /** extension-tests module (compiled JS, absolute path) run in the extension host; see run-exttests.ts */
  extensionTestsPath?: string;
  /** user settings, merged over quietSettings */
  settings?: Record<string, unknown>;
  /** extra environment for code-server and therefore the extension host (e.g. TENSORSCOPE_PYTHON) */
  env?: Record<string, string>;
  /** name prefix for screenshots (default 'e2e') */
  name?: string;
  viewport?: { width: number; height: number };
  /** wait for the workbench and the Explorer before returning (default true) */
  waitForExplorer?: boolean;
  /** called before page.goto, e.g. to page.exposeFunction (used by run-exttests.ts) */
  beforeGoto?: (page: Page) => Promise<void>;
}

export interface Workbench {
  page: Page;
  browser: Browser;
  /** the URL the page was opened with */
  url: string;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** the workspace folder as code-server sees it (the temp copy unless copyWorkspace: false) */
  workspace: string;
  /** temp dir with code-server.log, user data (ud/), extensions (exts/) */
  tmp: string;
  /** uncaught page errors and console errors seen so far (offline noise filtered out) */
  errors: string[];
  /** saves test-results/<name>-<shotName>.png and returns its path */
  shot(shotName: string): Promise<string>;
  /** text of code-server's log so far, plus the extension host logs */
  serverLog(): string;
  /** closes the browser, stops code-server's whole process group, removes the temp dir (unless keepTemp / KEEP_TMP) */
  close(opts?: { keepTemp?: boolean }): Promise<void>;
}

const T0 = Date.now();
const verbose = !!process.env.E2E_VERBOSE;
export function log(...args: unknown[]): void {
  if (verbose) console.log(`[e2e ${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...args);
}

/** errors that are always there offline and never ours (G10 in the recipe) */
const NOISE = /vsda|open-vsx|ENOTFOUND|ERR_NAME_NOT_RESOLVED|net::ERR_|Failed to load resource|marketplace|gallery|AgentHost|copilot|Service Worker|serviceWorker|ChatModel|authentication provider/i;

/** env that keeps code-server's heartbeat/logs and Chromium's crashpad out of $HOME (G7) */
function xdgEnv(tmp: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data'), ...extra };
}

interface ServerProcess { child: ChildProcess; baseUrl: Promise<string>; stop(): Promise<void> }

/** Kills a detached child's whole process group (code-server forks an agent host, watchers, the extension host: G6). */
export function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    if (pid !== undefined) { try { process.kill(-pid, 'SIGKILL'); } catch { /* group gone */ } }
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } resolve(); }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      try { process.kill(-pid, 'SIGKILL'); } catch { /* leftovers of the group, if any */ }
      resolve();
    });
    try { process.kill(-pid, 'SIGTERM'); } catch { clearTimeout(timer); resolve(); }
  });
}

/** process groups of the code-servers still running: killed if this process exits or is interrupted without close() */
const liveGroups = new Set<number>();
let watching = false;
function killLiveGroups(): void {
  for (const pgid of liveGroups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
  liveGroups.clear();
}
function watchForAbnormalExit(): void {
  if (watching) return;
  watching = true;
  process.once('exit', killLiveGroups);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => { killLiveGroups(); process.exit(code); });
  }
}

export interface CodeServerOptions {
  tmp: string;
  folder: string;
  /** TCP port; 0 = any free port */
  port?: number;
  host?: string;
  smokeTestDriver?: boolean;
  env?: Record<string, string>;
}

/** Starts code-server (node 24) in its own process group; baseUrl resolves once it listens. */
export function startCodeServer(o: CodeServerOptions): ServerProcess {
  const args = [codeServerEntry,
    '--bind-addr', `${o.host ?? '127.0.0.1'}:${o.port ?? 0}`,
    '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override',
    '--config', path.join(o.tmp, 'config.yaml'),
    '--user-data-dir', path.join(o.tmp, 'ud'),
    '--extensions-dir', path.join(o.tmp, 'exts')];
  if (o.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver'); // else ?payload= is ignored (G5)
  args.push(o.folder);
  // code-server leaves its IPC sockets (vscode-ipc-*.sock, vscode-git-*.sock) in $TMPDIR when it is killed: give it a
  // short-named TMPDIR of its own, removed by stop() (a socket's path must stay under 108 bytes on Linux)
  const sockDir = mkdtempSync(path.join(os.tmpdir(), 'tscs-'));
  const tmpEnv: Record<string, string> = sockDir.length <= 54 ? { TMPDIR: sockDir } : {};
  const child = spawn('bash', [node24Script, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: xdgEnv(o.tmp, { ...tmpEnv, ...o.env }) });
  const out = createWriteStream(path.join(o.tmp, 'code-server.log'));
  if (child.pid !== undefined) liveGroups.add(child.pid);
  watchForAbnormalExit();
  const baseUrl = new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 90 s; see ${o.tmp}/code-server.log`)), 90_000);
    const onData = (buf: Buffer): void => {
      out.write(buf);
      seen += buf.toString();
      const m = /HTTP server listening on (http:\/\/\S+)/.exec(seen);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`code-server exited early (${code}); see ${o.tmp}/code-server.log`)); });
  });
  baseUrl.catch(() => { /* reported to whoever awaits it */ });
  return {
    child, baseUrl,
    async stop() {
      await stopProcessGroup(child);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      rmSync(sockDir, { recursive: true, force: true });
      await new Promise<void>((r) => out.end(r));
    },
  };
}

function writeUserSettings(tmp: string, settings: Record<string, unknown> | undefined): void {
  mkdirSync(path.join(tmp, 'ud', 'User'), { recursive: true });
  writeFileSync(path.join(tmp, 'ud', 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...settings }, null, 2));
  writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\n');
}

/** Installs a .vsix into tmp/exts with code-server's CLI; returns the folder it was unpacked to. */
export function installVsix(tmp: string, vsix: string): string {
  const exts = path.join(tmp, 'exts');
  execFileSync('bash', [node24Script, codeServerEntry, '--config', path.join(tmp, 'config.yaml'),
    '--user-data-dir', path.join(tmp, 'ud'), '--extensions-dir', exts,
    '--install-extension', path.resolve(vsix), '--force'], { stdio: 'pipe', env: xdgEnv(tmp), timeout: 120_000 });
  const dirs = readdirSync(exts, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  if (dirs.length !== 1) throw new Error(`expected one extension in ${exts} after installing ${vsix}, found ${dirs.map((d) => d.name).join(', ')}`);
  return path.join(exts, dirs[0].name);
}

/**
 * Copies an unpacked extension into tmp/exts as `<publisher>.<name>-<version>`: code-server lists the folder's
 * extensions when it starts on a fresh extensions folder (a second extensionDevelopmentPath is not loaded).
 */
export function installFolder(tmp: string, folder: string): string {
  const m = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const dest = path.join(tmp, 'exts', `${m.publisher}.${m.name}-${m.version}`);
  cpSync(folder, dest, { recursive: true });
  return dest;
}

/** Launches headless Chromium with the recipe's hermetic flags. */
export function launchBrowser(tmp: string): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    env: xdgEnv(tmp) as Record<string, string>,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
      // every host but the local server fails DNS at once, so the page stays offline even on a networked CI (G10)
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
  });
}

/** the URL form VS Code uses: ?folder=/abs/path with literal slashes */
function folderUrl(base: string, folder: string, payload?: Array<[string, string]>): string {
  let url = `${base}/?folder=${folder.split('/').map(encodeURIComponent).join('/')}`;
  if (payload && payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/**
 * Starts code-server on a free port with the extension loaded (working tree as extensionDevelopmentPath by
 * default, or a .vsix), opens the workspace in headless Chromium and waits for the Explorer to list it.
 */
export async function startWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const skip = e2eSkipReason({ needExtension: false });
  if (skip) throw new Error(skip);
  const name = opts.name ?? 'e2e';
  const tmp = mkdtempSync(path.join(os.tmpdir(), `tensorscope-${name}-`));
  const src = path.resolve(repoRoot, opts.workspace);
  let workspace = src;
  if (opts.copyWorkspace ?? true) {
    workspace = path.join(tmp, 'ws', path.basename(src));
    cpSync(src, workspace, { recursive: true });
  }
  writeUserSettings(tmp, opts.settings);
  for (const extra of opts.extraExtensionPaths ?? []) installFolder(tmp, path.resolve(repoRoot, extra));
  const vsix = opts.vsix ?? process.env.TENSORSCOPE_E2E_VSIX;
  const payload: Array<[string, string]> = [];
  if (vsix) {
    log('installing', vsix);
    const installed = installVsix(tmp, vsix);
    // extension tests only run next to an extensionDevelopmentPath: point it at the installed copy of the .vsix
    if (opts.extensionTestsPath) payload.push(['extensionDevelopmentPath', `vscode-remote://remote${installed}`]);
  } else {
    // code-server's remote authority is the literal word "remote" (G5)
    payload.push(['extensionDevelopmentPath', `vscode-remote://remote${path.resolve(opts.extensionPath ?? repoRoot)}`]);
  }
  if (opts.extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://remote${path.resolve(opts.extensionTestsPath)}`]);

  const server = startCodeServer({ tmp, folder: workspace, smokeTestDriver: payload.length > 0, env: opts.env });
  let browser: Browser | undefined;
  const errors: string[] = [];
  const keep = !!process.env.KEEP_TMP;
  let closed = false;
  const close = async (o: { keepTemp?: boolean } = {}): Promise<void> => {
    if (closed) return;
    closed = true;
    if (browser) await browser.close().catch(() => undefined);
    await server.stop();
    if (o.keepTemp || keep) console.log(`[e2e] kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const baseUrl = await server.baseUrl;
    log('code-server at', baseUrl, 'pid', server.child.pid);
    browser = await launchBrowser(tmp);
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => { const s = String(e); if (!NOISE.test(s)) { errors.push(s); log('[pageerror]', s.slice(0, 300)); } });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const s = m.text();
      if (!NOISE.test(s)) { errors.push(s); log('[console.error]', s.slice(0, 300)); }
    });
    if (opts.beforeGoto) await opts.beforeGoto(page);
    const url = folderUrl(baseUrl, workspace, payload);
    await page.goto(url, { timeout: 90_000 });   // a first start on a fresh clone, on a busy machine, serves the workbench slowly
    if (opts.waitForExplorer ?? true) {
      await waitForWorkbench(page);
      log('workbench visible');
    }
    const b = browser;
    return {
      page, browser: b, url, baseUrl, workspace, tmp, errors,
      shot: (shotName) => screenshot(page, `${name}-${shotName}`),
      serverLog: () => readServerLogs(tmp),
      close,
    };
  } catch (e) {
    await close({ keepTemp: true });
    throw e;
  }
}

/** Waits until the workbench has loaded in `page` and the Explorer lists the workspace. */
export async function waitForWorkbench(page: Page, timeoutMs = 90_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}

/** Starts a workbench, runs fn, and always closes; on failure saves test-results/<name>-failure.png and keeps the temp dir. */
export async function withWorkbench<T>(opts: WorkbenchOptions, fn: (wb: Workbench) => Promise<T>): Promise<T> {
  const wb = await startWorkbench(opts);
  try {
    const r = await fn(wb);
    await wb.close();
    return r;
  } catch (e) {
    const p = await wb.shot('failure').catch(() => undefined);
    if (p) console.log(`[e2e] failure screenshot: ${p}`);
    await wb.close({ keepTemp: true });
    throw e;
  }
}

function readServerLogs(tmp: string): string {
  const parts: string[] = [];
  const main = path.join(tmp, 'code-server.log');
  if (existsSync(main)) parts.push(readFileSync(main, 'utf8'));
  try {
    const out = execFileSync('find', [path.join(tmp, 'ud', 'logs'), '-name', '*.log', '-path', '*exthost*'], { encoding: 'utf8' });
    for (const f of out.split('\n').filter(Boolean)) parts.push(`== ${f}\n${readFileSync(f, 'utf8')}`);
  } catch { /* no logs yet */ }
  return parts.join('\n');
}

/** Saves test-results/<name>.png (animations disabled, so fading menus are opaque: G9). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, animations: 'disabled' });
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// Driving the UI

const quickInput = (page: Page) => page.locator('.quick-input-widget input[type="text"]');

/**
 * Runs a command from the palette (F1, type the title, pick the row whose label equals the title).
 * Retries until the command appears: extension contributions arrive a few seconds after the workbench (G3).
 */
export async function runCommand(page: Page, title: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const rows = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title });
  for (;;) {
    await page.keyboard.press('F1');
    await quickInput(page).waitFor();
    await quickInput(page).fill('>' + title);
    try {
      await rows.first().waitFor({ timeout: 3000 });
      const n = await rows.count();
      let pick = rows.first();
      for (let i = 0; i < n; i++) {
        const label = (await rows.nth(i).locator('.label-name').first().textContent().catch(() => ''))?.trim();
        if (label === title) { pick = rows.nth(i); break; }
      }
      await pick.click();
      return;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command "${title}" not found in the palette`);
      await page.waitForTimeout(1000);
    }
  }
}

/** Titles of the palette entries matching `filter` (e.g. 'Tensorscope'), retrying until at least one shows up. */
export async function paletteCommands(page: Page, filter: string, opts: { timeoutMs?: number } = {}): Promise<string[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  for (;;) {
    await page.keyboard.press('F1');
    await quickInput(page).waitFor();
    await quickInput(page).fill('>' + filter);
    const found = await rows.first().waitFor({ timeout: 3000 }).then(() => true, () => false);
    const labels = found
      ? (await rows.locator('.label-name').allTextContents()).map((s) => s.trim()).filter((s) => s.toLowerCase().includes(filter.toLowerCase()))
      : [];
    await page.keyboard.press('Escape');
    if (labels.length) return labels;
    if (Date.now() > deadline) return [];
    await page.waitForTimeout(1000);
  }
}

/** The Explorer row of a top-level file or folder (exact name). */
export function explorerRow(page: Page, name: string) {
  return page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).first();
}

/** Shows the Explorer in the side bar if another view (Run and Debug, Search, …) or nothing is showing there. */
export async function showExplorer(page: Page): Promise<void> {
  if (await page.locator('.explorer-folders-view').isVisible()) return;
  await runCommand(page, 'View: Show Explorer');
  await page.locator('.explorer-folders-view').waitFor();
}

/** Opens a file by clicking it in the Explorer; `name` may be a path like 'sub/file.pt' (folders are expanded). Waits for its tab. */
export async function openFileByClick(page: Page, name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 30_000;
  await showExplorer(page);
  const parts = name.split('/').filter(Boolean);
  for (let i = 0; i < parts.length - 1; i++) {
    const row = explorerRow(page, parts[i]);
    await row.waitFor({ timeout });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  }
  const base = parts[parts.length - 1];
  const row = explorerRow(page, base);
  await row.waitFor({ timeout });
  await row.click();
  await page.locator('.tabs-container .tab').filter({ hasText: base }).first().waitFor({ timeout });
}

/** Right-clicks a file in the Explorer and picks `itemName` from the context menu; `shotName` saves a screenshot of the open menu. */
export async function contextMenu(page: Page, fileName: string, itemName: string, opts: { shotName?: string; timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeout;
  await showExplorer(page);
  const row = explorerRow(page, fileName);
  await row.waitFor({ timeout });
  const item = page.getByRole('menuitem', { name: itemName });
  for (;;) {   // like the palette, menus reflect contributions known when they open: retry
    await row.click({ button: 'right' });
    if (await item.first().waitFor({ timeout: 3000 }).then(() => true, () => false)) break;
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`context menu of ${fileName} has no "${itemName}"`);
    await page.waitForTimeout(1000);
  }
  // the menu fades in, and VS Code ignores a mouse-up that comes too soon after it opened: wait, then click,
  // and click again if the menu is still open
  await page.waitForTimeout(300);
  if (opts.shotName) await screenshot(page, opts.shotName);
  for (let i = 0; ; i++) {
    await item.first().click();
    if (await item.first().waitFor({ state: 'hidden', timeout: 2000 }).then(() => true, () => false)) return;
    if (i === 2) throw new Error(`clicking "${itemName}" in the context menu of ${fileName} did nothing`);
  }
}

/** A webview test: a CSS selector that must exist in the webview's document, or any check on its frame. */
export type WebviewPredicate = string | ((frame: Frame) => Promise<boolean>);

/**
 * The document frame of a webview (the inner <iframe id="active-frame"> inside <iframe class="webview">: G8)
 * that satisfies `predicate`; polls all webviews (hidden earlier ones stay in the DOM) until the timeout.
 */
export async function webviewFrame(page: Page, predicate: WebviewPredicate, opts: { timeoutMs?: number } = {}): Promise<Frame> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const check = typeof predicate === 'string'
    ? async (f: Frame) => (await f.locator(predicate).count()) > 0
    : predicate;
  for (;;) {
    for (const f of page.frames()) {
      const parent = f.parentFrame();
      if (!parent || parent === page.mainFrame() || f.isDetached()) continue;
      const el = await f.frameElement().catch(() => undefined);
      if (!el || (await el.getAttribute('id').catch(() => null)) !== 'active-frame') continue;
      if (await check(f).catch(() => false)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview matching ${typeof predicate === 'string' ? predicate : 'predicate'}`);
    await page.waitForTimeout(250);
  }
}

/** Waits until `text` (substring, or a RegExp) is visible in the page or frame; returns the element's text. */
export async function waitForText(target: Page | Frame, text: string | RegExp, opts: { timeoutMs?: number } = {}): Promise<string> {
  const loc = target.getByText(text).first();
  await loc.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 30_000 });
  return ((await loc.textContent()) ?? '').trim();
}

/**
 * Hovers the mouse over `word` in the active editor (first line containing `lineText`, default the word itself)
 * and returns the text of the hover that appears (language hover `.monaco-hover` or the debugger's
 * `.debug-hover-widget`). Retries by moving away and back, since hovers need the extension to be ready.
 */
export async function hover(page: Page, word: string, opts: { lineText?: string; timeoutMs?: number; expect?: string | RegExp } = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const editor = page.locator('.editor-instance .monaco-editor').first();
  const line = editor.locator('.view-line', { hasText: opts.lineText ?? word }).first();
  await line.waitFor();
  const widget = page.locator('.monaco-hover:visible, .debug-hover-widget:visible').first();
  for (;;) {
    const box = await line.evaluate((el, w) => {
      // find the word's text range across the line's token spans and return its centre
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let text = ''; const nodes: Array<{ n: Text; start: number }> = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push({ n: n as Text, start: text.length }); text += n.textContent ?? ''; }
      const at = text.replace(/\u00a0/g, ' ').indexOf(w);
      if (at < 0) return null;
      const mid = at + Math.floor(w.length / 2);
      const hit = nodes.filter((x) => x.start <= mid).pop();
      if (!hit) return null;
      const r = document.createRange();
      r.setStart(hit.n, mid - hit.start); r.setEnd(hit.n, Math.min(mid - hit.start + 1, hit.n.length));
      const b = r.getBoundingClientRect();
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    }, word);
    if (!box) throw new Error(`"${word}" not on the line`);
    await page.mouse.move(box.x, box.y, { steps: 3 });
    const shown = await widget.waitFor({ timeout: 4000 }).then(() => true, () => false);
    if (shown) {
      const t = ((await widget.textContent()) ?? '').trim();
      const want = opts.expect;
      if (!want || (typeof want === 'string' ? t.includes(want) : want.test(t))) return t;
    }
    if (Date.now() > deadline) throw new Error(`no hover${opts.expect ? ` matching ${String(opts.expect)}` : ''} over "${word}"`);
    await page.mouse.move(5, 5);   // away, so the next move triggers a fresh hover
    await page.waitForTimeout(500);
  }
}

/** Sets a breakpoint on the first line containing `lineText` in the active editor (F9, retried until it shows: G3). */
export async function setBreakpoint(page: Page, lineText: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  // breakpoints can be set once the extension host has brought a debugger's contributions, which on a busy
  // machine can take minutes after the workbench shows (it first resolves the shell environment); until then
  // F9 does nothing and the editor lays itself out again when they arrive
  const deadline = Date.now() + (opts.timeoutMs ?? 240_000);
  const editor = page.locator('.editor-instance .monaco-editor').first();
  const line = editor.locator('.view-line', { hasText: lineText }).first();
  await line.waitFor({ timeout: Math.max(1, deadline - Date.now()) });
  // force: while the editor is still tokenizing (slow on a busy machine) it redraws its lines again and again, so a
  // line never counts as "stable"; where it stands does not move, and a click there puts the cursor on it
  // and a redraw can catch the click between two layouts (no box: "not visible"): clicked again until it lands
  for (;;) {
    const clicked = await line.click({ force: true, timeout: 5000 }).then(() => true, () => false);
    if (clicked) break;
    if (Date.now() > deadline) throw new Error(`could not click the line "${lineText}"`);
    await page.waitForTimeout(500);
  }
  const before = await editor.locator('.codicon-debug-breakpoint').count();
  for (;;) {
    await page.keyboard.press('F9');
    const ok = await page.waitForFunction(
      ([n]) => document.querySelectorAll('.editor-instance .monaco-editor .codicon-debug-breakpoint').length > n, [before], { timeout: 2000 },
    ).then(() => true, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`could not set a breakpoint on "${lineText}"`);
    await line.click({ force: true, timeout: Math.max(1000, deadline - Date.now()) }).catch(() => undefined); // the line may have been re-rendered
  }
}

/** Starts the launch.json configuration `configName` via quick-open "debug <name>". */
export async function startDebugging(page: Page, configName: string): Promise<void> {
  await page.keyboard.press('F1');
  await quickInput(page).fill('debug ' + configName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: configName }).first().waitFor();
  await page.keyboard.press('Enter');
}

function escapeRe(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
