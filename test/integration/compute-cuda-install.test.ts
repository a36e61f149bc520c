/**
 * The CUDA provider installer (src/compute/cudaInstall.ts) against a NuGet feed served from 127.0.0.1: a service
 * index, a registration leaf, a catalog leaf with the package's SHA-512, and a .nupkg this test builds with the
 * package's layout. The provider library in it is a real shared library (built here with gcc) that needs
 * libcublasLt.so.12, as the real one does, so loading it fails the way it fails on a machine without CUDA 12.
 * onnxruntime-node is copied to a temporary node_modules so nothing is written into the repository's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { InstallProgress } from '../../src/compute/cudaInstall';
import { CUDA_PACKAGE, installCudaProvider, ortBinDirOf } from '../../src/compute/cudaInstall';

const repoRoot = path.resolve(__dirname, '..', '..');
const realOrt = path.join(repoRoot, 'node_modules', 'onnxruntime-node');
const version = (JSON.parse(readFileSync(path.join(realOrt, 'package.json'), 'utf8')) as { version: string }).version;
const lower = CUDA_PACKAGE.toLowerCase();
const py = process.env.TENSORSCOPE_PYTHON ?? '/usr/bin/python3';
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? 'Linux x64 only' : existsSync(path.join(ortBinDirOf(realOrt), 'libonnxruntime.so.1')) ? undefined : 'onnxruntime-node is not installed';

/** A private copy of onnxruntime-node (binding, onnxruntime library, JS) under dir/node_modules. */
function copyOrt(dir: string): string {
  const ortDir = path.join(dir, 'node_modules', 'onnxruntime-node');
  const bin = ortBinDirOf(ortDir);
  mkdirSync(bin, { recursive: true });
  for (const f of ['onnxruntime_binding.node', 'libonnxruntime.so.1']) copyFileSync(path.join(ortBinDirOf(realOrt), f), path.join(bin, f));
  copyFileSync(path.join(realOrt, 'package.json'), path.join(ortDir, 'package.json'));
  cpSync(path.join(realOrt, 'dist'), path.join(ortDir, 'dist'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules', 'onnxruntime-common'), path.join(dir, 'node_modules', 'onnxruntime-common'));
  return ortDir;
}

/** The two provider libraries: with gcc, real shared libraries (the CUDA one needs libcublasLt.so.12); else bytes. */
function buildLibs(dir: string): Record<string, Buffer> {
  const out = path.join(dir, 'libs');
  mkdirSync(out, { recursive: true });
  if (hasGcc) {
    writeFileSync(path.join(out, 'stub.c'), 'int tensorscope_stub(void) { return 1; }\n');
    // onnxruntime calls this in the shared library before it loads the CUDA one
    writeFileSync(path.join(out, 'shared.c'), 'void Provider_SetHost(void *host) { (void)host; }\n');
    const cc = (args: string[]) => execFileSync('gcc', args, { cwd: out, stdio: 'pipe' });
    cc(['-shared', '-fPIC', '-o', 'libcublasLt.so.12', '-Wl,-soname,libcublasLt.so.12', 'stub.c']);
    cc(['-shared', '-fPIC', '-o', 'libonnxruntime_providers_cuda.so', 'stub.c', '-L.', '-Wl,--no-as-needed', '-l:libcublasLt.so.12']);
    cc(['-shared', '-fPIC', '-o', 'libonnxruntime_providers_shared.so', 'shared.c']);
    rmSync(path.join(out, 'libcublasLt.so.12'));
  } else {
    writeFileSync(path.join(out, 'libonnxruntime_providers_cuda.so'), 'not a library');
    writeFileSync(path.join(out, 'libonnxruntime_providers_shared.so'), 'not a library either');
  }
  return Object.fromEntries(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'].map((f) => [f, readFileSync(path.join(out, f))]));
}

/** A .nupkg (zip, deflated) with NuGet's layout around the libraries. */
function buildNupkg(dir: string, libs: Record<string, Buffer>): Buffer {
  const file = path.join(dir, `${lower}.${version}.nupkg`);
  const members: Record<string, string> = { [`${CUDA_PACKAGE}.nuspec`]: `<package><metadata><id>${CUDA_PACKAGE}</id><version>${version}</version></metadata></package>`, '[Content_Types].xml': '<Types/>' };
  for (const [name, bytes] of Object.entries(libs)) {
    const p = path.join(dir, 'libs', name);
    writeFileSync(p, bytes);
    members[`runtimes/linux-x64/native/${name}`] = `@${p}`;
  }
  members['runtimes/linux-x64/native/libonnxruntime_providers_tensorrt.so'] = 'tensorrt is not extracted';
  const script = [
    'import json, sys, zipfile',
    'm = json.loads(sys.argv[2])',
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
    '    for name, v in m.items():',
    '        z.writestr(name, open(v[1:], "rb").read() if v.startswith("@") else v)',
  ].join('\n');
  execFileSync(py, ['-c', script, file, JSON.stringify(members)]);
  return readFileSync(file);
}

interface Feed { index: string; close: () => Promise<void>; requests: string[] }

/** A NuGet V3 feed for one package: `hash` is what the catalog publishes; `slow` streams the package in pieces. */
async function serveFeed(nupkg: Buffer, hash: string, slow = false): Promise<Feed> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const json = (v: unknown) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(v)); };
    if (url === '/v3/index.json') {
      return json({ version: '3.0.0', resources: [
        { '@id': `${base}/flat/`, '@type': 'PackageBaseAddress/3.0.0' },
        { '@id': `${base}/reg/`, '@type': 'RegistrationsBaseUrl/3.6.0' },
      ] });
    }
    if (url === `/reg/${lower}/${version}.json`) return json({ '@id': `${base}${url}`, catalogEntry: `${base}/catalog/${lower}.${version}.json`, listed: true });
    if (url === `/catalog/${lower}.${version}.json`) return json({ id: CUDA_PACKAGE, version, packageHash: hash, packageHashAlgorithm: 'SHA512', packageSize: nupkg.length });
    if (url === `/flat/${lower}/${version}/${lower}.${version}.nupkg`) {
      res.setHeader('content-length', String(nupkg.length));
      if (!slow) return res.end(nupkg);
      res.write(nupkg.subarray(0, 4096));
      const timer = setTimeout(() => res.end(nupkg.subarray(4096)), 30_000);
      res.on('close', () => clearTimeout(timer));
      return undefined;
    }
    res.statusCode = 404;
    res.end('not found');
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { index: `http://127.0.0.1:${port}/v3/index.json`, requests, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

test('setup-cuda: download from a local NuGet feed, SHA-512 check, extract, and a clear failure without CUDA 12', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tensorscope-cuda-test-'));
  try {
    const ortDir = copyOrt(dir);
    const bin = ortBinDirOf(ortDir);
    const libs = buildLibs(dir);
    const nupkg = buildNupkg(dir, libs);
    const sha512 = createHash('sha512').update(nupkg).digest('base64');

    await t.test('a package whose hash differs from the published one is not installed', async () => {
      const feed = await serveFeed(nupkg, createHash('sha512').update('something else').digest('base64'));
      try {
        await assert.rejects(installCudaProvider({ index: feed.index, ortDir }), /SHA-512 .* differs from the one NuGet publishes .*nothing was installed/);
        for (const f of Object.keys(libs)) assert.ok(!existsSync(path.join(bin, f)), `${f} not installed`);
      } finally {
        await feed.close();
      }
    });

    await t.test('cancel during the download', async () => {
      const feed = await serveFeed(nupkg, sha512, true);
      const abort = new AbortController();
      try {
        await assert.rejects(installCudaProvider({ index: feed.index, ortDir, signal: abort.signal, onProgress: (p) => { if (p.phase === 'download') abort.abort(); } }), /cancelled/);
        for (const f of Object.keys(libs)) assert.ok(!existsSync(path.join(bin, f)));
      } finally {
        await feed.close();
      }
    });

    await t.test('download, verify, extract; the provider is installed but does not load, and the message says why', async () => {
      const feed = await serveFeed(nupkg, sha512);
      const phases: InstallProgress['phase'][] = [];
      let lastReceived = 0;
      try {
        const r = await installCudaProvider({ index: feed.index, ortDir, onProgress: (p) => { if (phases[phases.length - 1] !== p.phase) phases.push(p.phase); if (p.received) lastReceived = p.received; } });
        assert.deepEqual(phases, ['resolve', 'download', 'verify', 'extract', 'check']);
        assert.equal(lastReceived, nupkg.length, 'progress counts the whole package');
        assert.equal(r.version, version);
        assert.equal(r.sha512, sha512);
        assert.deepEqual(feed.requests, ['/v3/index.json', `/reg/${lower}/${version}.json`, `/catalog/${lower}.${version}.json`, `/flat/${lower}/${version}/${lower}.${version}.nupkg`]);
        for (const [f, bytes] of Object.entries(libs)) assert.ok(readFileSync(path.join(bin, f)).equals(bytes), `${f} extracted byte for byte`);
        assert.ok(!existsSync(path.join(bin, 'libonnxruntime_providers_tensorrt.so')), 'only the two libraries are extracted');
        assert.equal(r.check.ok, false);
        if (hasGcc) {
          assert.deepEqual(r.check.missing, ['libcublasLt.so.12'], r.check.message);
          assert.match(r.check.message, /needs CUDA 12 and cuDNN 9/);
          assert.match(r.check.message, /libcublasLt\.so\.12 \(CUDA 12 cuBLAS\) is missing: install it \(PyTorch's CUDA 12 wheels ship it as site-packages\/nvidia\/cublas\/lib\)/);
        } else {
          assert.match(r.check.message, /^the CUDA provider did not load: /);
        }
      } finally {
        await feed.close();
      }
    });

    await t.test('the CLI says which host it cannot reach', () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'setup-cuda', '--index', 'http://127.0.0.1:9/v3/index.json'], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^error: cannot reach 127\.0\.0\.1:9: /m);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
