/**
 * `tensorscope setup-cuda [--index URL] [--json]` — download onnxruntime's CUDA provider for the bundled
 * onnxruntime-node version from NuGet, verify its SHA-512, install it next to onnxruntime-node's binding and check
 * that it loads (see src/compute/cudaInstall.ts). Exit 0 when it loads, 1 when installed but not loadable (the
 * message says what is missing), 1 with an error when the download or verification failed.
 */
import { checkFlags, parseArgs } from '../compute/cliArgs';
import { installCudaProvider } from '../compute/cudaInstall';
import type { InstallProgress } from '../compute/cudaInstall';

const USAGE = 'usage: tensorscope setup-cuda [--index URL] [--json]\n  --index: a NuGet V3 service index (default https://api.nuget.org/v3/index.json, or TENSORSCOPE_NUGET_INDEX)\n';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export async function run(args: string[]): Promise<number> {
  const a = parseArgs(args, ['index']);
  checkFlags(a, ['json', 'help']);
  if (a.flags.has('help') || a.positional.length) {
    process.stdout.write(USAGE);
    return a.flags.has('help') ? 0 : 2;
  }
  const json = a.flags.has('json');
  const tty = process.stderr.isTTY;
  let lastPhase = '';
  let lastShown = 0;
  const onProgress = (p: InstallProgress) => {
    if (json) return;
    if (p.phase === 'download' && p.received !== undefined) {
      const now = Date.now();
      if (tty && now - lastShown > 200) {
        process.stderr.write(`\r${p.message}: ${mib(p.received)}${p.total ? ` of ${mib(p.total)} (${Math.floor((100 * p.received) / p.total)}%)` : ''}   `);
        lastShown = now;
      }
      lastPhase = p.phase;
      return;
    }
    if (lastPhase === 'download' && tty) process.stderr.write('\n');
    lastPhase = p.phase;
    process.stderr.write(`${p.message}\n`);
  };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const r = await installCudaProvider({ index: a.options.get('index')?.[0], signal: abort.signal, onProgress });
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(`installed ${r.files.join(', ')} (onnxruntime ${r.version}, SHA-512 verified)\n${r.check.message}\n`);
    }
    return r.check.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}
