/** PYTHONPATH for the pydevd plugin (src/debug/pluginPath.ts) and the Python extension's interpreter (src/extension/python/pythonExtensionApi.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pluginFolder, withPluginOnPythonPath } from '../../src/debug/pluginPath';
import { interpreterFromApi } from '../../src/extension/python/pythonExtensionApi';

test('the plugin folder goes first on PYTHONPATH, the user\'s entries kept behind it', () => {
  assert.equal(pluginFolder('/ext'), path.join('/ext', 'dist', 'pythonpath'));
  assert.deepEqual(withPluginOnPythonPath(undefined, '/p', undefined, ':'), { PYTHONPATH: '/p' });
  assert.deepEqual(withPluginOnPythonPath(undefined, '/p', '/inherited:/x', ':'), { PYTHONPATH: '/p:/inherited:/x' });
  assert.deepEqual(withPluginOnPythonPath({ A: '1', PYTHONPATH: '${workspaceFolder}/src' }, '/p', '/inherited', ':'),
    { A: '1', PYTHONPATH: '/p:${workspaceFolder}/src' }, 'the configuration\'s own value wins over the inherited one');
  assert.deepEqual(withPluginOnPythonPath({ PYTHONPATH: '' }, '/p', '/inherited', ':'), { PYTHONPATH: '/p' });
  assert.deepEqual(withPluginOnPythonPath({ PYTHONPATH: 'a;/p' }, '/p', undefined, ';'), { PYTHONPATH: 'a;/p' }, 'already there: unchanged');
  assert.deepEqual(withPluginOnPythonPath({ PYTHONPATH: null }, '/p', '/inherited', ':'), { PYTHONPATH: null }, 'unset on purpose: left alone');
  const env = { B: '2' };
  withPluginOnPythonPath(env, '/p', undefined, ':');
  assert.deepEqual(env, { B: '2' }, 'the configuration\'s object is not changed in place');
});

/** an object with the shape of ms-python.python's exports (the @vscode/python-extension API) */
function fakeApi(active: { id: string; path: string }, exe: string | undefined, calls: unknown[] = []) {
  return {
    ready: Promise.resolve(),
    environments: {
      getActiveEnvironmentPath: (resource?: unknown) => { calls.push(['active', resource]); return active; },
      resolveEnvironment: async (e: unknown) => { calls.push(['resolve', e]); return exe ? { executable: { uri: { fsPath: exe } } } : undefined; },
    },
  };
}

test('the selected environment\'s executable, through getActiveEnvironmentPath and resolveEnvironment', async () => {
  const calls: unknown[] = [];
  const resource = { fsPath: '/ws/train.py' } as never;
  assert.equal(await interpreterFromApi(fakeApi({ id: 'venv', path: '/ws/.venv' }, '/ws/.venv/bin/python', calls), resource), '/ws/.venv/bin/python');
  assert.deepEqual(calls, [['active', resource], ['resolve', { id: 'venv', path: '/ws/.venv' }]]);
  // not resolvable: the active path itself
  assert.equal(await interpreterFromApi(fakeApi({ id: 'x', path: '/usr/bin/python3.11' }, undefined), undefined), '/usr/bin/python3.11');
});

test('no API, an older API shape, or nothing selected: undefined (the caller falls back to the setting)', async () => {
  assert.equal(await interpreterFromApi(undefined, undefined), undefined);
  assert.equal(await interpreterFromApi({}, undefined), undefined);
  assert.equal(await interpreterFromApi({ environments: { getActiveEnvironmentPath: () => ({ id: '', path: '' }) } }, undefined), undefined);
  assert.equal(await interpreterFromApi(fakeApi({ id: '', path: '' }, undefined), undefined), undefined);
  const hanging = { ready: new Promise<void>(() => undefined), environments: fakeApi({ id: 'a', path: '/a' }, '/a').environments };
  await assert.rejects(interpreterFromApi(hanging, undefined, 50), /did not answer within 50 ms/);
});
