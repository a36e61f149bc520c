/**
 * Runs inside the extension host (see ../run-exttests.ts): the extension activates without throwing and registers
 * every command its manifest contributes, and its runtime dependency onnxruntime-node (external to the esbuild
 * bundle, a native addon) loads from the extension's own folder, as it must from an installed .vsix.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as vscode from 'vscode';

interface Manifest { publisher: string; name: string; contributes?: { commands?: Array<{ command: string }> } }

export async function run(): Promise<void> {
  const id = process.env.TENSORSCOPE_EXTENSION_ID ?? 'tensorscope.tensorscope';
  const ext = vscode.extensions.getExtension(id);
  assert.ok(ext, `extension ${id} is loaded`);
  await ext.activate();
  assert.ok(ext.isActive, 'extension is active after activate()');
  const manifest = ext.packageJSON as Manifest;
  const declared = (manifest.contributes?.commands ?? []).map((c) => c.command);
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = declared.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `every contributed command is registered (missing: ${missing.join(', ')})`);
  const requireFromExt = createRequire(path.join(ext.extensionPath, 'package.json'));
  const ort = requireFromExt('onnxruntime-node') as { InferenceSession?: { create?: unknown } };
  assert.equal(typeof ort.InferenceSession?.create, 'function', 'onnxruntime-node loads (native binding included)');
  const folders = vscode.workspace.workspaceFolders ?? [];
  assert.equal(folders.length, 1, 'one workspace folder is open');
  console.log(`[activation] ${id} active in node ${process.version}; ${declared.length} commands registered`);
}
