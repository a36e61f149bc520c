/**
 * Every string from a file reaches the page as text: no HTML sinks anywhere in the webview code, the host's
 * page has a strict CSP, and the only host-made HTML (the title) is escaped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stringLiteralAt } from '../../src/shared/pyString';

const root = path.resolve(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the webview code never writes HTML', () => {
  const sinks = /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\.html\(|createContextualFragment|\.srcdoc\s*=|DOMParser/;
  const mine = ['webview/main.ts', 'webview/dom.ts', 'webview/app.ts', 'webview/pager.ts', 'webview/vscodeApi.ts']
    .map((f) => path.join(root, f))
    .concat(files(path.join(root, 'webview', 'views')), files(path.join(root, 'webview', 'charts')), files(path.join(root, 'webview', 'ui')));
  for (const f of mine) {
    const src = readFileSync(f, 'utf8');
    assert.ok(!sinks.test(src), `${path.relative(root, f)} uses an HTML sink`);
    assert.ok(!/setAttribute\(\s*['"](on\w+|style)['"]/.test(src), `${path.relative(root, f)} sets an event/style attribute`);
  }
});

test('the host page: strict CSP with a nonce, escaped title', async () => {
  // html.ts imports vscode only for types and Uri helpers; check its text rather than running it
  const src = readFileSync(path.join(root, 'src/extension/html.ts'), 'utf8');
  assert.match(src, /default-src 'none'/);
  assert.match(src, /script-src 'nonce-\$\{nonce\}'/);
  assert.ok(!/unsafe-inline|unsafe-eval/.test(src));
  assert.match(src, /<title>\$\{escapeHtml\(title\)\}<\/title>/);
  assert.match(src, /localResourceRoots: \[vscode\.Uri\.joinPath\(extensionUri, 'dist'\), vscode\.Uri\.joinPath\(extensionUri, 'media'\)\]/);
});

test('hover finds the string literal under the cursor', () => {
  const line = `w = sd["layer1.0.conv1.weight"] + sd['fc.bias']`;
  assert.deepEqual(stringLiteralAt(line, line.indexOf('conv1')), { text: 'layer1.0.conv1.weight', start: 8, end: 29 });
  assert.equal(stringLiteralAt(line, line.indexOf('fc.'))?.text, 'fc.bias');
  assert.equal(stringLiteralAt(line, 0), null);
  assert.equal(stringLiteralAt(`x = "a\\"b"`, 6)?.text, 'a\\"b');
});
