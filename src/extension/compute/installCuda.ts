/**
 * Tensorscope: Install CUDA Provider — downloads onnxruntime's CUDA provider for the bundled onnxruntime-node
 * version (src/compute/cudaInstall.ts), with progress and cancel, into the installed extension's
 * onnxruntime-node; then says whether it loads, or what is missing (CUDA 12, cuDNN 9) and where to find it.
 */
import { errorMessage } from '../../core/errors';
import * as vscode from 'vscode';
import { installCudaProvider } from '../../compute/cudaInstall';
import { resetProviderState } from '../../compute/providers';
import { log } from '../log';

const mib = (n: number) => `${(n / 1048576).toFixed(0)} MiB`;

export async function installCudaCommand(): Promise<void> {
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Installing the CUDA provider', cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let shown = 0;
      return installCudaProvider({
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === 'download' && p.received !== undefined && p.total) {
            const pct = (100 * p.received) / p.total;
            progress.report({ message: `${mib(p.received)} of ${mib(p.total)}`, increment: pct - shown });
            shown = pct;
          } else if (p.phase !== 'download') {
            progress.report({ message: p.message });
            log().info(`CUDA provider: ${p.message}`);
          }
        },
      });
    });
    // the next session asks onnxruntime again instead of remembering the provider as missing
    resetProviderState();
    log().info(`CUDA provider: installed ${r.files.join(', ')} (onnxruntime ${r.version}, SHA-512 verified). ${r.check.message}`);
    if (r.check.ok) {
      void vscode.window.showInformationMessage(`CUDA provider installed for onnxruntime ${r.version}; it loads. auto will time it on the next large op.`);
    } else {
      const choice = await vscode.window.showWarningMessage(`CUDA provider installed, but it does not load yet: ${r.check.message.split('\n').slice(1).join(' ') || r.check.message}`, 'Show Details');
      if (choice) log().show(true);
    }
  } catch (e) {
    const msg = errorMessage(e);
    if (msg === 'cancelled') void vscode.window.showInformationMessage('CUDA provider: installation cancelled; nothing was installed.');
    else void vscode.window.showErrorMessage(`Install CUDA Provider: ${msg}`);
  }
}
