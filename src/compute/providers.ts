/**
 * Execution providers and how one is chosen:
 *   'auto' (the default)  the fastest provider for each (op, dtype, size class), by measurement (see autoChoice.ts)
 *   a list                that order, tried with automatic fallback (`--ep a,b`, TENSORSCOPE_EP, the setting
 *                         `tensorscope.compute.executionProviders`)
 * Providers whose runtime is missing on this machine are known before onnxruntime is asked (providerProbe.ts) or
 * remembered for the process after a failed session, so their native loaders never print on stderr twice.
 */
import { probeProvider } from './providerProbe';

export type ProviderName = 'cuda' | 'webgpu' | 'cpu';

export const ALL_PROVIDERS: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

/** 'auto': chosen by measurement; a list: forced order with fallback. */
export type ProviderChoice = 'auto' | readonly ProviderName[];

export function isProviderName(s: string): s is ProviderName {
  return s === 'cuda' || s === 'webgpu' || s === 'cpu';
}

/**
 * Parse a choice (setting value, `--ep a,b`, or TENSORSCOPE_EP): nothing, an empty list or `auto` is 'auto';
 * unknown names are an error.
 */
export function parseProviders(value: string | readonly string[] | undefined): ProviderChoice {
  if (value === undefined) return 'auto';
  const list = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!list.length || (list.length === 1 && list[0] === 'auto')) return 'auto';
  for (const p of list) if (!isProviderName(p)) throw new Error(`unknown execution provider '${p}' (expected auto, or a list of cuda, webgpu, cpu)`);
  return list as ProviderName[];
}

/** The providers a choice may use, in order (auto: all, fastest first once measured). */
export function candidates(choice: ProviderChoice): readonly ProviderName[] {
  return choice === 'auto' ? ALL_PROVIDERS : choice;
}

export function describeChoice(choice: ProviderChoice): string {
  return choice === 'auto' ? 'auto' : choice.join('→');
}

const unavailable = new Map<ProviderName, string>();

/** Why a provider is unusable in this process (probe or an earlier failure), if it is. */
export function unavailableReason(p: ProviderName): string | undefined {
  if (p === 'cpu') return undefined;
  const known = unavailable.get(p);
  if (known !== undefined) return known;
  const probed = probeProvider(p);
  if (probed) unavailable.set(p, probed);
  return probed ?? undefined;
}

/** Providers of `list` usable in this process, cpu always. */
export function availableProviders(list: readonly ProviderName[] = ALL_PROVIDERS): ProviderName[] {
  return list.filter((p) => unavailableReason(p) === undefined);
}

/** Remember a provider as unusable when the error says its runtime is missing (not a per-graph failure). */
export function noteProviderFailure(p: ProviderName, message: string): void {
  if (p === 'cpu') return;
  if (/adapter|not (found|supported|available)|cannot open|No such file|libonnxruntime_providers|CUDA|vulkan|backend|shared library/i.test(message)) {
    unavailable.set(p, explainFailure(p, message));
  }
}

/** Forget what was learnt about providers (after installing one, or between tests). */
export function resetProviderState(): void {
  unavailable.clear();
}

/** One plain line saying what is missing, from a provider's raw error. */
export function explainFailure(p: ProviderName, message: string): string {
  const at = message.indexOf('Failed to get a WebGPU adapter');
  const first = (at >= 0 ? message.slice(at) : message).split('\n')[0].slice(0, 300);
  if (p === 'cuda') return `${first} (the CUDA provider needs its libraries: run "Tensorscope: Install CUDA Provider" or \`tensorscope setup-cuda\`, and CUDA 12 / cuDNN 9; see README "GPU compute")`;
  if (p === 'webgpu') return `${first} (WebGPU needs a Vulkan loader and driver; see README "GPU compute")`;
  return first;
}
