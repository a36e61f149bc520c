/**
 * Installing onnxruntime's CUDA provider into onnxruntime-node, as its npm install script would (a packaged
 * extension never runs that script):
 *   1. resolve   NuGet's service index → the registration leaf of Microsoft.ML.OnnxRuntime.Gpu.Linux at exactly
 *                the bundled onnxruntime version → its catalog entry, which publishes the package's SHA-512
 *                (`packageHash`, base64, `packageHashAlgorithm` "SHA512"; the registration itself has no hash)
 *   2. download  the .nupkg (a zip) to a temporary file, hashing it as it streams; progress and cancel
 *   3. verify    the SHA-512 against the published one (nothing is installed on a mismatch)
 *   4. extract   runtimes/linux-x64/native/libonnxruntime_providers_{cuda,shared}.so into onnxruntime-node's
 *                bin/napi-v6/linux/x64/, next to libonnxruntime.so.1, where onnxruntime looks for providers
 *   5. check     a child process creates a CUDA session; if that fails, the loader's error is turned into what
 *                is missing (CUDA 12, cuDNN 9, the driver) and where PyTorch's wheels keep those libraries
 * Test: test/integration/compute-cuda-install.test.ts serves a package it builds from 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ZipArchive } from '../core/zip';
import { GraphBuilder } from './graph';
import { CUDA_PROVIDER_LIBS } from './providerProbe';
import { errorMessage } from '../core/errors';

export const CUDA_PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
export const NUGET_INDEX = 'https://api.nuget.org/v3/index.json';
const PACKAGE_DIR = 'runtimes/linux-x64/native';

export interface InstallProgress {
  phase: 'resolve' | 'download' | 'verify' | 'extract' | 'check';
  message: string;
  received?: number;
  total?: number;
}

export interface CudaCheck {
  ok: boolean;
  /** one or more lines: what loaded, or what is missing and where to find it */
  message: string;
  /** shared libraries the loader could not find */
  missing: string[];
}

export interface CudaInstallOptions {
  /** NuGet service index (TENSORSCOPE_NUGET_INDEX, default nuget.org) */
  index?: string;
  /** onnxruntime-node's package directory (default: the one this process loads) */
  ortDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: InstallProgress) => void;
}

export interface CudaInstallResult {
  version: string;
  binDir: string;
  files: string[];
  sha512: string;
  check: CudaCheck;
}

export function defaultOrtDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

export function ortBinDirOf(ortDir: string): string {
  return path.join(ortDir, 'bin', 'napi-v6', 'linux', 'x64');
}

async function getJson(url: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new Error('cancelled');
    throw new Error(`cannot reach ${new URL(url).host}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
  }
  if (!res.ok) throw Object.assign(new Error(`${url}: HTTP ${res.status}`), { status: res.status });
  return (await res.json()) as Record<string, unknown>;
}

/** The package's download URL and published SHA-512 (base64), from the NuGet V3 API. */
export async function resolvePackage(index: string, id: string, version: string, signal?: AbortSignal): Promise<{ url: string; sha512: string }> {
  const resources = ((await getJson(index, signal)).resources ?? []) as { '@id': string; '@type': string }[];
  const find = (prefix: string) => resources.find((r) => r['@type'].startsWith(prefix))?.['@id'];
  const registrations = find('RegistrationsBaseUrl/3.6.0') ?? find('RegistrationsBaseUrl');
  const base = find('PackageBaseAddress/3.0.0');
  if (!registrations || !base) throw new Error(`${index} is not a NuGet V3 service index (no RegistrationsBaseUrl / PackageBaseAddress)`);
  const lower = id.toLowerCase();
  const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
  let leaf: Record<string, unknown>;
  try {
    leaf = await getJson(`${slash(registrations)}${lower}/${version}.json`, signal);
  } catch (e) {
    if ((e as { status?: number }).status === 404) throw new Error(`${id} ${version} is not published on ${new URL(index).host} (onnxruntime-node ${version} needs exactly that version)`);
    throw e;
  }
  const entry = leaf.catalogEntry;
  const catalog = typeof entry === 'string' ? await getJson(entry, signal) : (entry as Record<string, unknown> | undefined);
  const hash = catalog?.packageHash;
  const algorithm = String(catalog?.packageHashAlgorithm ?? '');
  if (typeof hash !== 'string' || algorithm.toUpperCase() !== 'SHA512') throw new Error(`NuGet publishes no SHA-512 for ${id} ${version} (catalog entry without packageHash)`);
  const url = typeof leaf.packageContent === 'string' ? leaf.packageContent : `${slash(base)}${lower}/${version}/${lower}.${version}.nupkg`;
  return { url, sha512: hash };
}

/** Stream `url` to `file`; returns its SHA-512 (base64). */
async function download(url: string, file: string, onProgress: (received: number, total: number | undefined) => void, signal?: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new Error('cancelled');
    throw new Error(`cannot download ${url}: ${errorMessage(e)}`);
  }
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const hash = createHash('sha512');
  const out = createWriteStream(file);
  let received = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      received += value.length;
      if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', resolve));
      onProgress(received, total);
    }
  } catch (e) {
    if (signal?.aborted) throw new Error('cancelled');
    throw e;
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
  if (total !== undefined && received !== total) throw new Error(`the download ended after ${received} of ${total} bytes`);
  return hash.digest('base64');
}

/** Copy the provider libraries out of the package into `binDir` (each written aside, then renamed into place). */
async function extract(nupkg: string, binDir: string, signal?: AbortSignal): Promise<string[]> {
  const zip = await ZipArchive.open(nupkg);
  const written: string[] = [];
  try {
    for (const name of CUDA_PROVIDER_LIBS) {
      const entry = zip.get(`${PACKAGE_DIR}/${name}`);
      if (!entry) throw new Error(`the package has no ${PACKAGE_DIR}/${name}`);
      const target = path.join(binDir, name);
      const tmp = `${target}.${process.pid}.part`;
      const out = createWriteStream(tmp, { mode: 0o755 });
      const failed = new Promise<never>((_, reject) => out.once('error', reject));
      try {
        const src = zip.source(entry);
        const chunks = src.chunks ? src.chunks(0, entry.size, 1 << 20) : [await src.read(0, entry.size)];
        for await (const chunk of chunks) {
          if (signal?.aborted) throw new Error('cancelled');
          if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', resolve)), failed]);
        }
        await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
      } catch (e) {
        out.destroy();
        rmSync(tmp, { force: true });
        const code = (e as { code?: string }).code;
        if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') throw new Error(`cannot write to ${binDir} (${code}): install where onnxruntime-node is writable, or run setup-cuda as its owner`);
        throw e;
      }
      renameSync(tmp, target);
      written.push(target);
    }
  } finally {
    await zip.close();
  }
  return written;
}

/** What each library the CUDA provider needs belongs to, and the PyTorch wheel directory that holds it. */
const PROVIDES: [RegExp, string, string][] = [
  [/^libcuda\.so/, 'the NVIDIA driver', ''],
  [/^libcudnn/, 'cuDNN 9', 'nvidia/cudnn/lib'],
  [/^libcudart/, 'the CUDA 12 runtime', 'nvidia/cuda_runtime/lib'],
  [/^libcublas/, 'CUDA 12 cuBLAS', 'nvidia/cublas/lib'],
  [/^libcufft/, 'CUDA 12 cuFFT', 'nvidia/cufft/lib'],
  [/^libcurand/, 'CUDA 12 cuRAND', 'nvidia/curand/lib'],
  [/^libnvrtc/, 'CUDA 12 NVRTC', 'nvidia/cuda_nvrtc/lib'],
];

/** site-packages / dist-packages directories where a pip-installed PyTorch may live. */
function sitePackages(): string[] {
  const roots = [path.join(os.homedir(), '.local', 'lib'), '/usr/local/lib', '/usr/lib', '/opt/conda/lib'];
  if (process.env.VIRTUAL_ENV) roots.unshift(path.join(process.env.VIRTUAL_ENV, 'lib'));
  if (process.env.CONDA_PREFIX) roots.unshift(path.join(process.env.CONDA_PREFIX, 'lib'));
  const out: string[] = [];
  for (const root of roots) {
    let names: string[] = [];
    try { names = readdirSync(root); } catch { continue; }
    for (const py of names.filter((n) => n.startsWith('python3'))) {
      for (const sp of ['site-packages', 'dist-packages']) {
        const dir = path.join(root, py, sp);
        if (existsSync(path.join(dir, 'nvidia'))) out.push(dir);
      }
    }
  }
  return out;
}

/** A directory holding `lib` inside a PyTorch wheel's nvidia/* folders, if one exists here. */
function wheelDirOf(lib: string): string | undefined {
  for (const sp of sitePackages()) {
    let groups: string[] = [];
    try { groups = readdirSync(path.join(sp, 'nvidia')); } catch { continue; }
    for (const g of groups) {
      const dir = path.join(sp, 'nvidia', g, 'lib');
      if (existsSync(path.join(dir, lib))) return dir;
    }
  }
  return undefined;
}

/** Turn the loader's failure into what is missing and where it would be, one line per library. */
export function explainCudaLoadFailure(error: string): CudaCheck {
  const missing = [...new Set([...error.matchAll(/(lib[\w.+-]+?\.so(?:\.[\d.]+)?): cannot open shared object file/g)].map((m) => m[1]))]
    .filter((l) => !CUDA_PROVIDER_LIBS.includes(l as typeof CUDA_PROVIDER_LIBS[number]));
  if (!missing.length) {
    return { ok: false, missing, message: `the CUDA provider did not load: ${error.split('\n')[0].slice(0, 400)}` };
  }
  const lines = missing.map((lib) => {
    const what = PROVIDES.find(([re]) => re.test(lib));
    const found = wheelDirOf(lib);
    const name = what ? what[1] : 'a CUDA library';
    if (found) return `${lib} (${name}) is in ${found}, which is not on the library path: start VS Code / the CLI with LD_LIBRARY_PATH=${found}:$LD_LIBRARY_PATH`;
    if (what && !what[2]) return `${lib} (${name}) is missing: install the NVIDIA driver`;
    return `${lib} (${name}) is missing: install it (PyTorch's CUDA 12 wheels ship it as site-packages/${what?.[2] ?? 'nvidia/*/lib'}) and put its directory on LD_LIBRARY_PATH`;
  });
  return { ok: false, missing, message: `the CUDA provider's libraries are installed, but it needs CUDA 12 and cuDNN 9:\n${lines.join('\n')}` };
}

/** A model with one Identity node, to create a session with. */
function tinyModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1]);
  g.node('Identity', [x], {}, ['y']);
  g.output('y', 'float32', [1]);
  return g.encode('probe');
}

/**
 * Create a CUDA session in a child process (a failing provider library can take its process down, and this
 * process may have loaded onnxruntime already). `ELECTRON_RUN_AS_NODE` lets VS Code's own binary act as Node.
 */
export async function checkCudaProvider(ortDir: string, env: NodeJS.ProcessEnv = process.env): Promise<CudaCheck> {
  const script = [
    'const ort = require(process.argv[1]);',
    // onnxruntime's error says only "Failed to load shared library"; the loader's reason is logged at error level
    'ort.env.logLevel = "error";',
    'ort.InferenceSession.create(Buffer.from(process.argv[2], "base64"), { executionProviders: ["cuda"], logSeverityLevel: 3 })',
    '  .then(() => process.stdout.write("ok\\n"), (e) => { process.stdout.write("fail " + String(e && e.message || e).replace(/\\n/g, " ") + "\\n"); });',
  ].join('\n');
  const out = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script, ortDir, Buffer.from(tinyModel()).toString('base64')], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.on('error', (e) => resolve({ stdout, stderr: e.message, code: -1 }));
  });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (line === 'ok') return { ok: true, missing: [], message: 'the CUDA provider loads: a CUDA session was created' };
  if (!line.startsWith('fail ')) return explainCudaLoadFailure(`the check process ended with ${out.code}: ${out.stderr.trim().split('\n').slice(-2).join(' ')}`);
  const logged = out.stderr.split('\n').find((l) => /Failed to load library|cannot open shared object|undefined symbol/.test(l));
  const reason = logged ? logged.replace(/^.*?\] /, '') : '';
  return explainCudaLoadFailure(reason ? `${line.slice(5)}: ${reason}` : line.slice(5));
}

/** Download, verify, extract and check the CUDA provider of onnxruntime-node's own version. */
export async function installCudaProvider(opts: CudaInstallOptions = {}): Promise<CudaInstallResult> {
  const ortDir = opts.ortDir ?? defaultOrtDir();
  const version = (JSON.parse(readFileSync(path.join(ortDir, 'package.json'), 'utf8')) as { version: string }).version;
  const binDir = ortBinDirOf(ortDir);
  const index = opts.index ?? process.env.TENSORSCOPE_NUGET_INDEX ?? NUGET_INDEX;
  const progress = opts.onProgress ?? (() => undefined);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`onnxruntime-node's CUDA provider exists for Linux x64 only (this is ${process.platform} ${process.arch})`);
  if (!existsSync(path.join(binDir, 'libonnxruntime.so.1'))) throw new Error(`no onnxruntime library in ${binDir}`);
  progress({ phase: 'resolve', message: `looking up ${CUDA_PACKAGE} ${version}` });
  const pkg = await resolvePackage(index, CUDA_PACKAGE, version, opts.signal);
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'tensorscope-cuda-'));
  try {
    const nupkg = path.join(tmpDir, `${CUDA_PACKAGE}.${version}.nupkg`);
    const got = await download(pkg.url, nupkg, (received, total) => progress({ phase: 'download', message: `downloading ${CUDA_PACKAGE} ${version}`, received, total }), opts.signal);
    progress({ phase: 'verify', message: 'checking the SHA-512 NuGet publishes' });
    if (got !== pkg.sha512) throw new Error(`the download's SHA-512 (${got.slice(0, 16)}…) differs from the one NuGet publishes (${pkg.sha512.slice(0, 16)}…): nothing was installed`);
    progress({ phase: 'extract', message: `extracting ${CUDA_PROVIDER_LIBS.join(', ')} to ${binDir}` });
    const files = await extract(nupkg, binDir, opts.signal);
    progress({ phase: 'check', message: 'checking that the CUDA provider loads' });
    const check = await checkCudaProvider(ortDir);
    return { version, binDir, files, sha512: pkg.sha512, check };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
