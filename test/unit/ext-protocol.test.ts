import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage, parseHostMessage, isInspectorState, isTableQuery } from '../../src/shared/protocol';
import { DEFAULT_QUERY } from '../../src/shared/tableModel';

const query = { filter: 'conv', sort: { column: 'bytes', descending: true }, grouped: true, collapsed: ['layer1'] };

test('valid webview messages narrow to their type', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'getPage', requestId: 3, query, start: 0, count: 200 }), { type: 'getPage', requestId: 3, query, start: 0, count: 200 });
  assert.deepEqual(parseWebviewMessage({ type: 'getPage', requestId: 3, query, start: 0, count: 200, focus: 'a.b' }), { type: 'getPage', requestId: 3, query, start: 0, count: 200, focus: 'a.b' });
  assert.deepEqual(parseWebviewMessage({ type: 'computeStats', requestId: 1, name: 'w' }), { type: 'computeStats', requestId: 1, name: 'w' });
  assert.deepEqual(parseWebviewMessage({ type: 'cancel', requestId: 9 }), { type: 'cancel', requestId: 9 });
  assert.deepEqual(parseWebviewMessage({ type: 'command', command: 'computeAllStats' }), { type: 'command', command: 'computeAllStats' });
  assert.deepEqual(parseWebviewMessage({ type: 'ready', state: null }), { type: 'ready', state: null });
});

test('malformed webview messages are dropped', () => {
  for (const bad of [
    null, 42, 'ready', [], {}, { type: 'nope' },
    { type: 'getPage', requestId: -1, query, start: 0, count: 10 },
    { type: 'getPage', requestId: 1, query, start: 0, count: 5000 },
    { type: 'getPage', requestId: 1, query: { ...query, sort: { column: 'evil', descending: false } }, start: 0, count: 10 },
    { type: 'getPage', requestId: 1, query: { ...query, filter: 7 }, start: 0, count: 10 },
    { type: 'getPage', requestId: 1, query, start: 0.5, count: 10 },
    { type: 'getPage', requestId: 1, query, start: 0, count: 10, focus: 3 },
    { type: 'getDetails', requestId: 1 },
    { type: 'getValues', requestId: 1, name: 'x', expr: '[0]', maxElements: 1e9 },
    { type: 'command', command: 'rm -rf' },
    { type: 'log', level: 'debug', message: 'x' },
    { type: 'copy', text: 5 },
  ]) assert.equal(parseWebviewMessage(bad), null, JSON.stringify(bad));
});

test('a ready message with a broken state is accepted without the state', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready', state: { uri: 1 } }), { type: 'ready', state: null });
});

test('inspector state and query validation', () => {
  const s = { uri: 'file:///a.pt', view: 'details', query: DEFAULT_QUERY, scrollTop: 10, selected: 'a', details: null, sliceExpr: '[0]' };
  assert.ok(isInspectorState(s));
  assert.ok(!isInspectorState({ ...s, view: 'html' }));
  assert.ok(!isInspectorState({ ...s, scrollTop: -1 }));
  assert.ok(isTableQuery(DEFAULT_QUERY));
  assert.ok(!isTableQuery({ ...DEFAULT_QUERY, collapsed: [1] }));
});

test('host messages are checked before the webview uses them', () => {
  assert.equal(parseHostMessage({ type: 'page', requestId: 1, queryKey: 'k', start: 0, total: 3, items: [], columns: ['name'] })?.type, 'page');
  assert.equal(parseHostMessage({ type: 'page', requestId: 1, start: 0, total: 3 }), null);
  assert.equal(parseHostMessage({ type: 'stats', requestId: 1, name: 'x', stats: {} })?.type, 'stats');
  assert.equal(parseHostMessage({ type: 'reveal' }), null);
  assert.equal(parseHostMessage({ type: 'unknown' }), null);
  assert.equal(parseHostMessage(undefined), null);
});
