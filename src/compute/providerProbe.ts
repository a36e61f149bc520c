/**
 * Cheap checks, before onnxruntime is asked, that a GPU provider's runtime exists on this machine. Asking
 * anyway costs more than time: WebGPU's native loader (Dawn) prints "Warning: Couldn't load Vulkan …
 * BackendVk.cpp:368" or "vkCreateInstance: Found no drivers!" on stderr, which we cannot silence from Node.
 *   webgpu  a Vulkan loader (libvulkan.so.1) on the library path and at least one Vulkan driver manifest (ICD)
 *   cuda    onnxruntime's CUDA provider libraries next to its binding (see cudaInstall.ts)
 * A check that passes proves nothing (the driver may still refuse); onnxruntime's own error then says why.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProviderName } from './providers';

/** Where onnxruntime-node loads its native libraries from (the CUDA provider goes there too). */
export function ortBinDir(): string {
  const pkg = require.resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** The two libraries onnxruntime-node needs for its CUDA provider. */
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

const SWIFTSHADER_HINT = 'without a GPU, Chromium\'s SwiftShader works: LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';

function libraryDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  try {
    for (const f of readdirSync('/etc/ld.so.conf.d')) {
      if (!f.endsWith('.conf')) continue;
      for (const line of readFileSync(path.join('/etc/ld.so.conf.d', f), 'utf8').split('\n')) {
        const d = line.trim();
        if (d.startsWith('/')) dirs.push(d);
      }
    }
  } catch { /* no ld.so.conf.d */ }
  const triple = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  dirs.push(`/lib/${triple}`, `/usr/lib/${triple}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib');
  return dirs;
}

function hasJson(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.json'));
  } catch {
    return false;
  }
}

function icdFound(): boolean {
  const explicit = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  if (explicit) return explicit.split(':').some((f) => f && existsSync(f) && (f.endsWith('.json') || hasJson(f)));
  const data = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const config = (process.env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':');
  const dirs = [...config, '/etc', path.join(os.homedir(), '.local', 'share'), ...data, '/usr/local/share', '/usr/share']
    .filter(Boolean).map((d) => path.join(d, 'vulkan', 'icd.d'));
  return dirs.some(hasJson);
}

/** Why WebGPU cannot run here, or null when a Vulkan loader and driver manifest exist (or off Linux). */
export function probeWebgpu(): string | null {
  if (process.platform !== 'linux') return null;
  if (!libraryDirs().some((d) => existsSync(path.join(d, 'libvulkan.so.1')))) {
    return `no Vulkan loader (libvulkan.so.1) on the library path: WebGPU needs it and a GPU driver with Vulkan (Debian: libvulkan1); ${SWIFTSHADER_HINT}`;
  }
  if (!icdFound()) {
    return `no Vulkan driver: no manifest in */vulkan/icd.d and VK_ICD_FILENAMES is not set; install the GPU driver's Vulkan part (e.g. NVIDIA's nvidia_icd.json) or, ${SWIFTSHADER_HINT}`;
  }
  return null;
}

/** Why the CUDA provider cannot run here, or null when its libraries are installed. */
export function probeCuda(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `onnxruntime-node has a CUDA provider for Linux x64 only (this is ${process.platform} ${process.arch})`;
  let dir: string;
  try {
    dir = ortBinDir();
  } catch {
    return 'onnxruntime-node is not installed';
  }
  const missing = CUDA_PROVIDER_LIBS.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) return `the CUDA provider is not installed (${missing.join(', ')} missing in ${dir}): run "Tensorscope: Install CUDA Provider" or \`tensorscope setup-cuda\``;
  return null;
}

export function probeProvider(p: ProviderName): string | null {
  if (p === 'webgpu') return process.env.TENSORSCOPE_WEBGPU_NATIVE ? null : probeWebgpu();
  if (p === 'cuda') return probeCuda();
  return null;
}
