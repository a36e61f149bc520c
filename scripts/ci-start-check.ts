/**
 * CI's proof of the README's first command (`.ci/run` runs it after `npm test`):
 *   node --import tsx scripts/ci-start-check.ts
 * starts `npm start` on a free port in a process group of its own, waits (bounded) until VS Code answers over HTTP,
 * loads the workbench in headless Chromium, opens examples/resnet_tiny.pt from the Explorer and waits for the
 * Tensorscope inspector to list its tensors, checks the extension host logged Tensorscope's activation, then stops
 * `npm start` the way Ctrl-C does (SIGINT to its process group) and fails if any of its processes, or the port, is
 * left behind. Output: test-results/ci-start.log (npm start's output), test-results/ci-start-*.png.
 *   CI_START_TIMEOUT_S   longest wait for VS Code to answer (default 1200: a first `npm start` installs everything)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, openFileByClick, paletteCommands, repoRoot, resultsDir, screenshot, toolsDir, waitForWorkbench, webviewFrame } from '../test/e2e/harness';

const say = (msg: string): void => console.log(`[start-check] ${msg}`);
const state = path.join(toolsDir, 'start');   // where scripts/start.sh keeps code-server's state, log and pid

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** true while anything accepts connections on the port */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** pids of the live processes in process group `pgid` (zombies excluded) */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces or parentheses, so split after the last ')'
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

function describe(pids: number[]): string {
  return pids.map((p) => {
    try { return `${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160)}`; } catch { return `${p}`; }
  }).join('\n  ');
}

/** code-server's pid, which start.sh writes while it serves (its process group has the same number) */
function codeServerPid(): number | undefined {
  try { return Number(readFileSync(path.join(state, 'code-server.pid'), 'utf8')) || undefined; } catch { return undefined; }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the extension host's log lines that record Tensorscope's activation (code-server keeps them under ud/logs/) */
function activationLines(sinceMs: number): string[] {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/exthost\.log$/i.test(e.name) && statSync(p).mtimeMs >= sinceMs) {
        // VS Code logs "ExtensionService#_doActivateExtension <id>, startup: …, activationEvent: '…'" at info level
        for (const l of readFileSync(p, 'utf8').split('\n')) if (/_doActivateExtension tensorscope\.tensorscope\b/.test(l)) lines.push(l.trim());
      }
    }
  };
  walk(path.join(state, 'ud', 'logs'));
  return lines;
}

async function main(): Promise<void> {
  const port = await freePort();
  const timeoutMs = Number(process.env.CI_START_TIMEOUT_S ?? 1200) * 1000;
  mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, 'ci-start.log');
  const log = createWriteStream(logFile);
  const t0 = Date.now();
  say(`npm start with TENSORSCOPE_PORT=${port} (output: ${path.relative(repoRoot, logFile)})`);
  // detached: npm, start.sh and whatever they start share a new process group, like a terminal's foreground job
  const npm = spawn('npm', ['start'], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TENSORSCOPE_PORT: String(port), TENSORSCOPE_HOST: '127.0.0.1' } });
  const pgid = npm.pid;
  if (pgid === undefined) throw new Error('npm start did not start');
  let output = '';
  const onData = (b: Buffer): void => { log.write(b); output += b.toString(); };
  npm.stdout.on('data', onData);
  npm.stderr.on('data', onData);
  let exited: number | null | undefined;
  npm.once('exit', (code) => { exited = code; });

  const base = `http://127.0.0.1:${port}`;
  let csPid: number | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-start-check-'));
  let failed = false;
  try {
    // 1. VS Code answers over HTTP (bounded; npm start exiting first is a failure with its last lines)
    for (;;) {
      if (exited !== undefined) throw new Error(`npm start exited (${exited}) before VS Code answered:\n${output.split('\n').slice(-20).join('\n')}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`VS Code did not answer on ${base} within ${timeoutMs / 1000} s`);
      const r = await fetch(base + '/', { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (r?.ok && /<html/i.test(await r.text())) break;
      await sleep(1000);
    }
    say(`VS Code answers on ${base} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    csPid = codeServerPid();

    // 2. the workbench loads; a checkpoint from examples/ opens in the Tensorscope inspector and lists its tensors
    browser = await launchBrowser(tmp);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60_000);
    await page.goto(base + '/', { timeout: 120_000 });
    await waitForWorkbench(page, 120_000);
    // the custom editor is known once the extension's contributions have arrived
    const cmds = await paletteCommands(page, 'Tensorscope: Open Checkpoint');
    if (!cmds.length) throw new Error('no Tensorscope commands in the palette: the extension is not installed');
    await openFileByClick(page, 'resnet_tiny.pt');
    const frame = await webviewFrame(page, '#table [data-name="conv1.weight"]', { timeoutMs: 120_000 });
    const title = ((await frame.locator('#file-title').textContent().catch(() => '')) ?? '').trim();
    say(`inspector shows resnet_tiny.pt: ${title || 'conv1.weight listed'}`);
    say(`screenshot ${path.relative(repoRoot, await screenshot(page, 'ci-start-inspector'))}`);

    // 3. the extension host logged the activation
    const act = activationLines(t0);
    if (!act.length) throw new Error(`no Tensorscope activation in the extension host logs under ${state}/ud/logs`);
    say(`activation logged: ${act[act.length - 1].slice(0, 200)}`);
  } catch (e) {
    failed = true;
    console.error(`[start-check] FAILED: ${e instanceof Error ? e.message : String(e)}`);
    console.error(`[start-check] npm start said (last lines):\n${output.split('\n').slice(-15).join('\n')}`);
    if (browser) {
      const page = browser.contexts()[0]?.pages()[0];
      if (page) await screenshot(page, 'ci-start-failure').then((p) => console.error(`[start-check] screenshot ${p}`), () => undefined);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }

  // 4. stop it as Ctrl-C does (SIGINT to the foreground process group), then check nothing is left
  csPid ??= codeServerPid();   // also when a step above failed: code-server may be running all the same
  try { process.kill(-pgid, 'SIGINT'); } catch { /* already gone */ }
  const groups = [pgid, ...(csPid ? [csPid] : [])];   // start.sh runs code-server in a process group of its own
  const deadline = Date.now() + 30_000;
  let left: number[] = [];
  for (;;) {
    left = groups.flatMap(groupMembers);
    if ((!left.length && exited !== undefined) || Date.now() > deadline) break;
    await sleep(250);
  }
  const portOpen = await listening(port);
  if (left.length || portOpen) {
    failed = true;
    console.error(`[start-check] FAILED: after Ctrl-C, still running:\n  ${describe(left)}${portOpen ? `\n  and port ${port} still accepts connections` : ''}`);
    for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } }
  } else {
    say(`Ctrl-C stopped npm start and code-server: no process left in their groups, port ${port} closed`);
  }
  log.end();
  say(`${failed ? 'FAILED' : 'passed'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e: unknown) => { console.error(`[start-check] ${e instanceof Error ? e.stack ?? e.message : String(e)}`); process.exitCode = 1; });
