/** The inspector opens on a click (custom editor priority "default") for every checkpoint kind torch writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Editor { viewType: string; selector: Array<{ filenamePattern: string }>; priority: string }
const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { customEditors: Editor[] } };

test('TorchScript .jit and .ptl open in the inspector on click, like .pt', () => {
  const byClick = pkg.contributes.customEditors.filter((e) => e.priority === 'default').flatMap((e) => e.selector.map((s) => s.filenamePattern));
  for (const p of ['*.pt', '*.pth', '*.ckpt', '*.pt2', '*.safetensors', '*.npy', '*.npz', '*.pth.tar', '*.jit', '*.ptl']) {
    assert.ok(byClick.includes(p), `${p} does not open on click`);
  }
  // a pattern is offered once: in the default editor or under Open With…, not both
  const optional = pkg.contributes.customEditors.filter((e) => e.priority === 'option').flatMap((e) => e.selector.map((s) => s.filenamePattern));
  assert.deepEqual(optional.filter((p) => byClick.includes(p)), []);
});
