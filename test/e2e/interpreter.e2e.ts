/**
 * The interpreter the user chose (issue #10, item 4), in code-server's extension host: with a test double of
 * Microsoft's Python extension (same id, same API shape) reporting a selected environment, Tensorscope's
 * resolver and its debug type use that interpreter. The fallback (no Python extension: the setting, else a
 * default) is what every other e2e test runs with; its logic is unit-tested in test/unit/debug-plugin-path.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { e2eSkipReason, repoRoot } from './harness';
import { runExtensionTests } from './run-exttests';

const python = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';

function skipReason(): string | undefined {
  const base = e2eSkipReason();
  if (base) return base;
  if (spawnSync(python, ['-c', 'import debugpy'], { encoding: 'utf8' }).status !== 0) return `${python} lacks debugpy`;
  return undefined;
}

test('the Python extension\'s selected environment runs our debug type (API test double)', { skip: skipReason(), timeout: 300_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ts-interp-'));
  try {
    // the "selected environment": a wrapper that marks its children, then runs the real interpreter
    const marks = path.join(dir, 'marks');
    mkdirSync(marks);
    const wrapper = path.join(dir, 'selected-python');
    writeFileSync(wrapper, `#!/bin/sh\nfor a in "$@"; do [ "$a" = debugpy.adapter ] && touch '${marks}/adapter'; done\nTS_WRAPPED=1 exec '${python}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const ws = path.join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(path.join(ws, 'which.py'), [
      'import json, os, sys',
      `json.dump({'wrapped': os.environ.get('TS_WRAPPED'), 'pythonpath': os.environ.get('PYTHONPATH', ''),`,
      `           'adapterWrapped': os.path.exists(${JSON.stringify(path.join(marks, 'adapter'))})}, open(sys.argv[1], 'w'))`,
      '',
    ].join('\n'));
    const out = path.join(dir, 'seen.json');
    const r = await runExtensionTests({
      testsModule: 'test/e2e/exthost/interpreter.ts', workspace: ws, copyWorkspace: false, name: 'interpreter',
      extraExtensionPaths: [path.join(repoRoot, 'test', 'fixtures', 'extensions', 'ms-python.python')],
      env: { TENSORSCOPE_TEST_SELECTED_PYTHON: wrapper, TENSORSCOPE_TEST_OUT: out },
    });
    assert.equal(r.code, 0, r.output.join('\n'));
    assert.ok(JSON.parse(readFileSync(out, 'utf8')).wrapped === '1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
