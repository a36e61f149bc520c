/**
 * Execution providers: the chain from the setting `tensorscope.compute.executionProviders`
 * (default cuda → webgpu → cpu), tried in order with automatic fallback. Providers whose runtime is
 * missing on this machine (CUDA binaries not installed, no WebGPU adapter) are remembered for the process.
 */
export type ProviderName = 'cuda' | 'webgpu' | 'cpu';

export const DEFAULT_PROVIDERS: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

export function isProviderName(s: string): s is ProviderName {
  return s === 'cuda' || s === 'webgpu' || s === 'cpu';
}

/** Parse a list (setting value, `--ep a,b`, or TENSORSCOPE_EP); unknown names are an error. */
export function parseProviders(value: string | readonly string[] | undefined): ProviderName[] {
  if (value === undefined) return [...DEFAULT_PROVIDERS];
  const list = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!list.length) return [...DEFAULT_PROVIDERS];
  for (const p of list) if (!isProviderName(p)) throw new Error(`unknown execution provider '${p}' (expected cuda, webgpu or cpu)`);
  return list as ProviderName[];
}

const unavailable = new Map<ProviderName, string>();

/** Why a provider was found unusable in this process, if it was. */
export function unavailableReason(p: ProviderName): string | undefined {
  return unavailable.get(p);
}

/** Remember a provider as unusable when the error says its runtime is missing (not a per-graph failure). */
export function noteProviderFailure(p: ProviderName, message: string): void {
  if (p === 'cpu') return;
  if (/adapter|not (found|supported|available)|cannot open|No such file|libonnxruntime_providers|CUDA|vulkan|backend/i.test(message)) {
    unavailable.set(p, explainFailure(p, message));
  }
}

/** One plain line saying what to install, added to a provider's raw error. */
export function explainFailure(p: ProviderName, message: string): string {
  const at = message.indexOf('Failed to get a WebGPU adapter');
  const first = (at >= 0 ? message.slice(at) : message).split('\n')[0].slice(0, 300);
  if (p === 'cuda') return `${first} (the CUDA provider needs onnxruntime-node's CUDA 12 binaries: reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12, see README "GPU compute")`;
  if (p === 'webgpu') {
    return `${first} (WebGPU needs a Vulkan loader (libvulkan.so.1) and a driver; on a machine without a GPU, Chromium's SwiftShader works: ` +
      'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)';
  }
  return first;
}
