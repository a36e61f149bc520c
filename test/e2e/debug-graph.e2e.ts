/**
 * The autograd-graph webview in headless Chromium (no code-server needed): draws thousands of nodes,
 * collapses repeated blocks, searches, shows details on click, exports SVG and asks for DOT.
 * Screenshot: test-results/debug-graph-webview.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { graphPageSkip, launch, messages, openGraphPage, renderGraph } from '../fixtures/debug/graphPage';
import { chainGraph, residualGraph } from '../fixtures/debug/syntheticGraphs';

const skip = graphPageSkip();
let browser: Browser | undefined;
let page: Page;

before(async () => { if (!skip) { browser = await launch(); page = await openGraphPage(browser); } });
after(async () => { await browser?.close(); });

test('the webview says ready, then draws a 2,002-node graph node for node', { skip, timeout: 60_000 }, async () => {
  assert.deepEqual((await messages(page))[0], { type: 'ready' });
  const g = residualGraph(500);
  await renderGraph(page, g, { collapse: false });
  assert.equal(await page.locator('#graph-svg g.node').count(), 2002);
  assert.equal(await page.locator('#graph-svg g.edges path').count(), g.edges.length);
  assert.match((await page.locator('#info').textContent()) ?? '', /2002 nodes, 2001 edges, 501 leaves/);
  const rendered = (await messages(page)).filter((m) => m.type === 'rendered').pop();
  assert.equal(rendered?.nodes, 2002);
});

test('repeated blocks collapse (default for big graphs) and expand again', { skip, timeout: 60_000 }, async () => {
  await renderGraph(page, chainGraph(1000));
  assert.equal(await page.locator('#graph-svg g.node').count(), 3, 'Sum, × 1000 block, leaf');
  assert.match((await page.locator('#graph-svg g.node').nth(0).getAttribute('data-name')) ?? '', /× 1000 {2}AddBackward0 → MulBackward0/);
  await page.click('#collapse');
  assert.equal(await page.locator('#graph-svg g.node').count(), 2002);
  await page.click('#collapse');
  assert.equal(await page.locator('#graph-svg g.node').count(), 3);
});

test('search, click for details, export SVG and DOT', { skip, timeout: 60_000 }, async () => {
  await renderGraph(page, residualGraph(6), { collapse: false });
  await page.fill('#search', 'TBackward');
  assert.equal(await page.locator('#info').getAttribute('data-matches'), '6');
  await page.press('#search', 'Enter');
  assert.match((await page.locator('#details h3').textContent()) ?? '', /TBackward0/);
  await page.locator('#graph-svg g.node[data-name="MmBackward0"]').first().click();
  const details = (await page.locator('#details').textContent()) ?? '';
  assert.match(details, /MmBackward0/);
  assert.match(details, /saved self\s*\[64\] float32/);
  assert.match(details, /next functions\s*TBackward0 #\d+/);
  mkdirSync(path.resolve(__dirname, '..', '..', 'test-results'), { recursive: true });
  await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'test-results', 'debug-graph-webview.png') });
  await page.click('#export-svg');
  await page.click('#export-dot');
  const msgs = await messages(page);
  const svg = msgs.filter((m) => m.type === 'export' && m.format === 'svg').pop();
  const content = svg?.content ?? '';
  assert.ok(content.startsWith('<?xml') && content.includes('<svg') && content.includes('MmBackward0'));
  assert.match(content, /<g class="viewport">/, 'exported without the pan/zoom transform');
  assert.deepEqual(msgs.filter((m) => m.type === 'export' && m.format === 'dot').pop(), { type: 'export', format: 'dot' });
});

test('long node names are shown whole: squeezed into their box, with a tooltip', { skip, timeout: 60_000 }, async () => {
  const names = ['BinaryCrossEntropyWithLogitsBackward0', 'MaxPool2DWithIndicesBackward0', 'ConvolutionBackward0', 'AccumulateGrad'];
  const g = chainGraph(0);
  g.nodes = names.map((name, id) => ({ id, name, saved: [] }));
  g.edges = [[0, 1], [1, 2], [2, 3]];
  g.leaves = [];
  await renderGraph(page, g, { collapse: false });
  for (const name of names) {
    const box = page.locator(`#graph-svg g.node[data-name="${name}"]`);
    assert.equal(await box.locator('text.label').textContent(), name, 'the whole name, not cut');
    assert.match((await box.locator('title').textContent()) ?? '', new RegExp(`^${name}`));
    const [textW, rectW] = await box.evaluate((el) => [
      (el.querySelector('text.label') as SVGTextElement).getBBox().width, Number(el.querySelector('rect')!.getAttribute('width'))]);
    assert.ok(textW <= rectW - 8, `${name}: text ${textW}px in a ${rectW}px box`);
  }
});
