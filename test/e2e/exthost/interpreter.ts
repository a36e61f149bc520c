/**
 * Runs inside the extension host (see ../interpreter.e2e.ts) next to the test double of Microsoft's Python
 * extension (test/fixtures/extensions/ms-python.python): resolvePythonInterpreter takes the environment
 * that extension's API reports as selected, and our `tensorscope-python` debug type runs both debugpy's
 * adapter and the program with it, the pydevd plugin folder first on the program's PYTHONPATH.
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { resolvePythonInterpreter } from '../../../src/extension/python/interpreter';

export async function run(): Promise<void> {
  const selected = process.env.TENSORSCOPE_TEST_SELECTED_PYTHON!;
  const out = process.env.TENSORSCOPE_TEST_OUT!;
  const ours = vscode.extensions.getExtension('tensorscope.tensorscope')!;
  await ours.activate();
  const fake = vscode.extensions.getExtension('ms-python.python');
  assert.ok(fake, 'the test double of ms-python.python is loaded');

  const folder = vscode.workspace.workspaceFolders![0]!;
  const chosen = await resolvePythonInterpreter(folder.uri);
  assert.deepEqual(chosen, { path: selected, source: 'python-extension' });
  const calls = (fake.exports as { calls: [string, string | null][] }).calls;
  assert.deepEqual(calls.map((c) => c[0]), ['getActiveEnvironmentPath', 'resolveEnvironment']);

  // a tensorscope-python session: the configuration it ran with, and what the program saw
  const script = path.join(folder.uri.fsPath, 'which.py');
  let config: vscode.DebugConfiguration | undefined;
  const ended = new Promise<void>((resolve) => {
    vscode.debug.onDidStartDebugSession((s) => { if (s.type === 'tensorscope-python') config = s.configuration; });
    vscode.debug.onDidTerminateDebugSession((s) => { if (s.type === 'tensorscope-python') resolve(); });
  });
  const started = await vscode.debug.startDebugging(folder, { type: 'tensorscope-python', request: 'launch', name: 'which', program: script, args: [out] });
  assert.ok(started, 'the session started');
  await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the session did not end within 60 s')), 60_000))]);
  assert.deepEqual(config?.python, [selected], 'the program runs with the selected environment');
  const plugin = path.join(ours.extensionPath, 'dist', 'pythonpath');
  assert.equal((config?.env as Record<string, string>).PYTHONPATH.split(path.delimiter)[0], plugin);
  assert.ok(existsSync(out), `${script} wrote ${out}`);
  const seen = JSON.parse(readFileSync(out, 'utf8')) as { wrapped: string | null; pythonpath: string; adapterWrapped: boolean };
  assert.equal(seen.wrapped, '1', 'the program was started through the selected interpreter');
  assert.equal(seen.pythonpath.split(path.delimiter)[0], plugin);
  assert.ok(seen.adapterWrapped, "debugpy's adapter was started through the selected interpreter");
  console.log(`[interpreter] ${selected} from ms-python.python; program and adapter ran with it`);
}
