/** A throw-away workspace with the debug fixture `train.py` and a launch config of our `tensorscope-python` type. */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './harness';

/** The launch configuration's name, as shown in the Run and Debug view. */
export const DEBUG_LAUNCH_NAME = 'Tensorscope: train.py';

/** Creates `<tmp>/<prefix>XXXX/<folder>`; remove `dir` when done. */
export function makeDebugWorkspace(prefix: string, folder: string): { dir: string; ws: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const ws = path.join(dir, folder);
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  copyFileSync(path.join(repoRoot, 'test', 'fixtures', 'debug', 'e2e_train.py'), path.join(ws, 'train.py'));
  writeFileSync(path.join(ws, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{ type: 'tensorscope-python', request: 'launch', name: DEBUG_LAUNCH_NAME, program: '${workspaceFolder}/train.py', console: 'internalConsole', justMyCode: true }],
  }, null, 2));
  return { dir, ws };
}
