/**
 * Extension-host integration tests in code-server (the @vscode/test-electron `extensionTestsPath` contract, which
 * code-server honours through ?payload= with enable-smoke-test-driver). A test module is TypeScript exporting
 * `run(): Promise<void>` (throw = failure) and may `import * as vscode from 'vscode'`; it is bundled with esbuild
 * and runs inside the real (node 24) extension host next to the extension, with the full vscode API.
 *
 *   const r = await runExtensionTests({ testsModule: 'test/e2e/exthost/activation.ts', workspace: 'examples' });
 *   assert.equal(r.code, 0, r.output.join('\n'));
 *
 * CLI: node --import tsx test/e2e/run-exttests.ts test/e2e/exthost/activation.ts [WORKSPACE]   (exit code = result)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { build } from 'esbuild';
import { repoRoot, startWorkbench, type Workbench, type WorkbenchOptions } from './harness';

export interface ExtensionTestsOptions extends Omit<WorkbenchOptions, 'extensionTestsPath' | 'beforeGoto' | 'waitForExplorer'> {
  /** TypeScript (or JS) module exporting run(); relative to the repo root or absolute */
  testsModule: string;
  timeoutMs?: number;
  /** echo the extension host's console as it arrives */
  echo?: boolean;
}

export interface ExtensionTestsResult {
  /** 0 = run() resolved; anything else = it threw (or 'timeout') */
  code: number | 'timeout';
  /** console output of the extension host and workbench log lines, workbench chatter filtered out */
  output: string[];
}

// workbench chatter that is always there and never about the tests
const NOISE = /AgentHost|ChatModelSelection|socket|connection token|grace.time|open-vsx|queryRawGallery|^\s+at |Service Worker|builtin extensions cache|AccountPolicyGate|ENOTFOUND|vsda|authentication provider|Creation of workbench contribution/;

/** Bundles the test module, runs it in the extension host of a fresh workbench, returns its exit code and output. */
export async function runExtensionTests(opts: ExtensionTestsOptions): Promise<ExtensionTestsResult> {
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-exttests-'));
  const bundle = path.join(bundleDir, 'index.js');
  await build({
    entryPoints: [path.resolve(repoRoot, opts.testsModule)],
    outfile: bundle, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: ['vscode', 'onnxruntime-node'], sourcemap: 'inline', logLevel: 'warning',
  });
  const output: string[] = [];
  let done: (c: number) => void = () => undefined;
  const finished = new Promise<number>((r) => { done = r; });
  let wb: Workbench | undefined;
  let timer: NodeJS.Timeout | undefined;
  let code: number | 'timeout' = 'timeout';
  try {
    wb = await startWorkbench({
      ...opts,
      name: opts.name ?? 'exttests',
      extensionTestsPath: bundle,
      waitForExplorer: false,
      beforeGoto: async (page) => {
        // the workbench calls these globals (the same hooks @vscode/test-web uses)
        await page.exposeFunction('codeAutomationLog', (_level: unknown, args: unknown[]) => {
          const line = util.format(...(Array.isArray(args) ? args : [args]));
          if (NOISE.test(line)) return;
          output.push(line);
          if (opts.echo) console.log('[exthost]', line);
        });
        await page.exposeFunction('codeAutomationExit', (c: number) => done(c));
      },
    });
    code = await Promise.race([finished, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), opts.timeoutMs ?? 180_000); })]);
    return { code, output };
  } finally {
    if (timer) clearTimeout(timer);   // an uncleared timer keeps node:test waiting (G12)
    if (wb) await wb.close({ keepTemp: code !== 0 });
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [mod, ws] = process.argv.slice(2);
  if (!mod) { console.error('usage: node --import tsx test/e2e/run-exttests.ts TESTS_MODULE.ts [WORKSPACE]'); process.exit(2); }
  runExtensionTests({ testsModule: mod, workspace: ws ?? 'examples', echo: true }).then(
    (r) => { console.log('extension tests exit code:', r.code); process.exitCode = r.code === 0 ? 0 : 1; },
    (e: unknown) => { console.error(e); process.exitCode = 1; },
  );
}
