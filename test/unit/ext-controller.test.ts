import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorController, type CoreApi } from '../../src/extension/inspectorController';
import { readSlice } from '../../src/core/values';
import { INSPECTOR, type InspectorFromHost, type InspectorProtocol } from '../../src/shared/protocol';
import { CancelledError, RequestClient, RequestError, parseFromHost, parseFromView, type HostNote } from '../../src/shared/channel';
import { DEFAULT_QUERY, queryKey } from '../../src/shared/tableModel';
import type { Checkpoint, TensorStats } from '../../src/core/model';
import { sampleCheckpoint } from './ext-fixtures';

const fakeStats: TensorStats = { count: 2, min: -0.5, max: 0.5, mean: 0, std: 0.7071, nan: 0, inf: 0, zeros: 0, histogram: { min: -0.5, max: 0.5, counts: [1, 1] } };

function setup(open: () => Promise<Checkpoint> = async () => sampleCheckpoint(), stats?: CoreApi['stats']) {
  const sent: InspectorFromHost[] = [];
  const core: CoreApi = {
    open: () => open(),
    stats: stats ?? (async () => fakeStats),
    slice: async (t, expr, max, signal) => {
      const r = await readSlice(t, expr, max, { signal });
      return { shape: r.shape, values: r.values, truncated: r.truncated, total: r.total };
    },
  };
  // the webview's client and the controller, joined as the panel joins them: every message checked at the border
  // (and through JSON, as postMessage carries it)
  const client: RequestClient<InspectorProtocol> = new RequestClient<InspectorProtocol>((m) => {
    const parsed = parseFromView(INSPECTOR, JSON.parse(JSON.stringify(m)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    if (parsed.message.kind !== 'note') void c.receive(parsed.message);
  });
  const c = new InspectorController({ kind: 'file', path: '/tmp/sample.pt', uri: 'file:///tmp/sample.pt' }, core, (m) => {
    sent.push(m);
    const parsed = parseFromHost(INSPECTOR, JSON.parse(JSON.stringify(m)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    client.receive(parsed.message);
  }, { maxSliceElements: 16384 });
  const notes = () => sent.filter((m): m is HostNote<InspectorProtocol> => m.kind === 'note');
  const last = <T extends HostNote<InspectorProtocol>['type']>(type: T) => [...notes()].reverse().find((m) => m.type === type)!.body as Extract<HostNote<InspectorProtocol>, { type: T }>['body'];
  return { c, sent, notes, last, client };
}

test('load sends loading then init with summary, content and optimizer map', async () => {
  const { c, notes, last } = setup();
  assert.equal(await c.load(), true);
  assert.deepEqual(notes().map((m) => m.type), ['loading', 'init']);
  const init = last('init');
  assert.equal(init.tensorCount, 7);
  assert.equal(init.file.name, 'sample.pt');
  assert.equal(init.file.generation, 1);
  assert.equal(init.summary.format, 'torch-zip');
  assert.equal(init.optimizers[0].names['0'], 'model.conv.weight');
  assert.equal(init.firstPage?.total, 12, 'the grouped table comes with init');
  assert.equal(init.firstPage?.items[0].kind, 'group');
});

test('after a re-read, the first page is computed for the query the webview used last', async () => {
  const { c, last, client } = setup();
  await c.load();
  const query = { ...DEFAULT_QUERY, filter: 'fc', grouped: false };
  await client.request('getPage', { query, start: 0, count: 200 });
  await c.load();
  const fp = last('init').firstPage;
  assert.equal(fp?.queryKey, queryKey(query));
  assert.deepEqual(fp?.items.map((i) => (i.kind === 'tensor' ? i.row.name : '')), ['model.fc.weight', 'model.fc_t']);
});

test('pages: only the requested window travels, focus finds a tensor', async () => {
  const { c, client, sent } = setup();
  await c.load();
  const p = await client.request('getPage', { query: { ...DEFAULT_QUERY, grouped: false }, start: 2, count: 3 });
  const reply = sent[sent.length - 1];
  assert.ok(reply.kind === 'reply' && reply.type === 'getPage' && reply.inReplyTo === 1, 'the reply names its request');
  assert.equal(p.total, 7);
  assert.equal(p.matched, 7);
  assert.equal(p.start, 2);
  assert.deepEqual(p.columns, ['name', 'dtype', 'shape', 'stride', 'offset', 'layout', 'storage', 'device', 'numel', 'bytes']);
  const collapsed = await client.request('getPage', { query: { ...DEFAULT_QUERY, filter: 'weight', collapsed: ['model'] }, start: 0, count: 50 });
  // conv.weight's exp_avg shows as optimizer.state[conv.weight].exp_avg, which the filter finds too
  assert.equal(collapsed.matched, 3, 'tensors inside a collapsed group still count as matches');
  assert.deepEqual(p.items.map((i) => (i.kind === 'tensor' ? i.row.name : i.prefix)), ['model.bn.running_mean', 'model.fc.weight', 'model.fc_t']);
  const f = await client.request('getPage', { query: DEFAULT_QUERY, start: 0, count: 4, focus: 'optimizer.state.0.exp_avg' });
  assert.equal(f.focusIndex, 10);
  assert.equal(f.start, 8);
  const item = f.items[f.focusIndex! - f.start];
  assert.ok(item.kind === 'tensor' && item.row.name === 'optimizer.state.0.exp_avg');
  const bad = await client.request('getPage', { query: { ...DEFAULT_QUERY, filter: 're:(' }, start: 0, count: 10 });
  assert.match(bad.filterError ?? '', /invalid regular expression/);
  assert.equal(bad.total, 0);
});

test('details: storage sharing and stride explanation; an unknown name is an error reply', async () => {
  const { c, client } = setup();
  await c.load();
  const d = await client.request('getDetails', { name: 'model.fc_t' });
  assert.equal(d.explanation.verdict, 'transposed / permuted');
  assert.equal(d.row.layoutKind, 'non-contiguous');
  assert.deepEqual(d.sharing.map((s) => s.name), ['model.fc.weight']);
  assert.equal(d.storage?.numel, 12);
  assert.equal(d.suggestedSlice, '[:, :]');
  await assert.rejects(client.request('getDetails', { name: 'missing' }), (e) => e instanceof RequestError && e.message === 'no tensor named missing');
  assert.equal(client.pendingCount, 0, 'the error reply settled its request');
});

test('values: a slice of a transposed view reads the right elements', async () => {
  const { c, client } = setup();
  await c.load();
  const v = await client.request('getValues', { name: 'model.fc_t', expr: '[1:3, -1]', maxElements: 100 });
  // fc = arange(12) - 6 as (3, 4); fc_t = fc.T (4, 3); fc_t[1:3, -1] = fc[2, 1:3] = [3, 4]
  assert.deepEqual(v.values, [3, 4]);
  assert.deepEqual(v.shape, [2]);
  assert.equal(v.expr, '[1:3, 2]');
  await assert.rejects(client.request('getValues', { name: 'model.fc_t', expr: '[9]', maxElements: 100 }), /out of bounds/);
});

test('statistics: cached, progress relayed, cancellable; no request outlives its answer', async () => {
  let calls = 0;
  const { c, client, sent } = setup(undefined, (t, o) => new Promise((resolve, reject) => {
    calls++;
    if (t.name === 'model.fc.weight') {
      o.signal.addEventListener('abort', () => reject(new Error('aborted')));
      return;
    }
    o.onProgress?.(0.5);
    resolve(fakeStats);
  }));
  await c.load();
  const seen: number[] = [];
  const r = await client.request('computeStats', { name: 'model.conv.bias' }, { onProgress: (f) => seen.push(f) });
  assert.equal(r.stats.max, 0.5);
  assert.deepEqual(seen, [0.5], 'progress reaches the request that asked');
  assert.ok(sent.some((m) => m.kind === 'progress' && m.fraction === 0.5));
  await client.request('computeStats', { name: 'model.conv.bias' });
  assert.equal(calls, 1, 'second request served from the cache');
  const abort = new AbortController();
  const pending = client.request('computeStats', { name: 'model.fc.weight' }, { signal: abort.signal });
  assert.equal(c.server.runningCount, 1);
  abort.abort();
  await assert.rejects(pending, CancelledError);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(c.server.runningCount, 0, 'the host stopped the work');
  assert.equal(client.pendingCount, 0);
  assert.ok(!sent.some((m) => m.kind === 'error'), 'a cancelled request gets no reply');
});

test('re-reading keeps going; a broken file is a fatal message, not a throw', async () => {
  let n = 0;
  const { c, last } = setup(async () => { if (++n === 2) throw new Error('truncated zip'); return sampleCheckpoint(); });
  await c.load();
  assert.equal(await c.load(), false);
  assert.equal(last('fatal').message, 'truncated zip');
  assert.equal(await c.load(), true);
  assert.equal(last('init').file.generation, 2);
});

test('compute all statistics: progress per tensor, stops on abort', async () => {
  const { c } = setup();
  await c.load();
  const seen: number[] = [];
  const r = await c.computeAllStats(new AbortController().signal, (done) => seen.push(done));
  assert.equal(r.done, 7);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
  const a = new AbortController();
  const r2 = await c.computeAllStats(a.signal, (done) => { if (done === 2) a.abort(); });
  assert.equal(r2.done, 2);
});

test('the Summary sent to the webview names each referenced file linked outside the checkpoint folder', async (t) => {
  const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, existsSync, cpSync, renameSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { openCheckpoint } = await import('../../src/core/open');
  const { safetensors, torchZip, torchStateDictPickle } = await import('../hostile/bytes');
  const { onnxWithExternalData } = await import('../hostile/corpus');
  const root = mkdtempSync(path.join(tmpdir(), 'ts-links-'));
  const blobs = path.join(root, 'blobs');
  mkdirSync(blobs);
  // the layout of the Hugging Face cache: the checkpoint's folder holds links into ../blobs
  const cases: Array<{ what: string; open: string; link: string; target: string }> = [];
  const linked = (what: string, folder: string, linkName: string, blob: string, bytes: Uint8Array | string, open = folder) => {
    const dir = path.join(root, folder);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(blobs, blob), bytes);
    symlinkSync(path.join('..', 'blobs', blob), path.join(dir, linkName));
    cases.push({ what, open: path.join(root, open), link: linkName, target: path.join(blobs, blob) });
  };
  try {
    mkdirSync(path.join(root, 'st'));
    writeFileSync(path.join(root, 'st', 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: 'model-00001-of-00001.safetensors' } }));
    linked('safetensors shard', 'st', 'model-00001-of-00001.safetensors', 'st-blob', safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
    mkdirSync(path.join(root, 'bin'));
    writeFileSync(path.join(root, 'bin', 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: { t0: 'pytorch_model-00001-of-00001.bin' } }));
    linked('torch .bin shard', 'bin', 'pytorch_model-00001-of-00001.bin', 'bin-blob', torchZip(torchStateDictPickle(1, 4, 4), 16));
    mkdirSync(path.join(root, 'onnx'));
    writeFileSync(path.join(root, 'onnx', 'model.onnx'), onnxWithExternalData('w.bin'));
    linked('ONNX external data', 'onnx', 'w.bin', 'onnx-blob', new Uint8Array(16), path.join('onnx', 'model.onnx'));
    // a real torch.distributed.checkpoint folder (shared corpus) with its .metadata moved out and linked back
    const dcp = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus', 'torch2.11', 'dcp_ckpt');
    if (existsSync(path.join(dcp, '.metadata'))) {
      cpSync(dcp, path.join(root, 'dcp'), { recursive: true });
      renameSync(path.join(root, 'dcp', '.metadata'), path.join(blobs, 'dcp-meta'));
      symlinkSync(path.join('..', 'blobs', 'dcp-meta'), path.join(root, 'dcp', '.metadata'));
      cases.push({ what: 'DCP .metadata', open: path.join(root, 'dcp'), link: '.metadata', target: path.join(blobs, 'dcp-meta') });
    } else {
      t.diagnostic('DCP .metadata case skipped: ../shared/corpus/torch2.11/dcp_ckpt is absent');
    }
    for (const k of cases) {
      const { c, last } = setup(() => openCheckpoint(k.open));
      assert.equal(await c.load(), true, k.what);
      const warnings = last('init').summary.warnings.map((w) => w.text);
      const said = warnings.find((w) => w.includes(k.link) && w.includes(k.target));
      assert.ok(said, `${k.what}: the Summary names the link and its target: ${JSON.stringify(warnings)}`);
      assert.match(said, /outside the checkpoint's folder/, k.what);
      await c.dispose();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
