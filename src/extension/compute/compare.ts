/**
 * Compare Checkpoints: diff two files as `load_state_dict` would, in a panel that says which state dict it
 * took from each file (a training checkpoint holds optimizer and callback state too) and which prefixes it
 * removed; "Choose State Dicts…" in the panel re-runs it on the user's choice (section of each file, prefixes).
 */
import * as vscode from 'vscode';
import type { CheckpointDiff, DiffOptions, SideChoice, SideOptions } from '../../compute/diffValues';
import { diffCheckpoints } from '../../compute/diffValues';
import { WRAPPER_PREFIXES } from '../../core/stateDict';
import { openCheckpoint } from '../../core/open';
import { log } from '../log';
import { showDiffPanel } from './diffPanel';
import { computeProviders } from './register';
import { errorMessage } from '../../core/errors';

async function runDiff(a: vscode.Uri, b: vscode.Uri, opts: DiffOptions): Promise<CheckpointDiff> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Comparing checkpoints…' }, async () => {
    const [ca, cb] = [await openCheckpoint(a.fsPath), await openCheckpoint(b.fsPath)];
    try {
      return await diffCheckpoints(ca, cb, computeProviders(), opts);
    } finally {
      await ca.close();
      await cb.close();
    }
  });
}

interface SectionItem extends vscode.QuickPickItem { key: string }
interface StripItem extends vscode.QuickPickItem { strip: string[] | undefined }

/** Which state dict of one file to compare: its sections, the current one first. */
async function pickSection(side: 'A' | 'B', fileName: string, choice: SideChoice): Promise<string | undefined> {
  const items: SectionItem[] = choice.sections.map((s) => ({
    key: s.key,
    label: s.key === '' ? '(top level)' : s.key,
    description: `${s.tensors} tensor${s.tensors === 1 ? '' : 's'}${s.key === choice.key ? ' · in use' : ''}`,
    detail: s.key === '' ? 'the whole file, less optimizer, scheduler and callback state' : `ckpt["${s.key}"]`,
  }));
  items.sort((x, y) => Number(y.key === choice.key) - Number(x.key === choice.key));
  const picked = await vscode.window.showQuickPick(items, { title: `Compare: state dict of ${side} (${fileName})`, placeHolder: `now: ${choice.text}`, ignoreFocusOut: true });
  return picked?.key;
}

/** Which prefixes to remove: detected (default), none, or a wrapper prefix chosen for each side. */
async function pickStrip(side: 'A' | 'B', choice: SideChoice): Promise<string[] | undefined | null> {
  const items: StripItem[] = [
    { label: 'Detect', description: choice.removed ? `now: \`${choice.removed}\` removed` : 'now: none removed', strip: undefined },
    { label: 'Remove nothing', strip: [] },
    ...WRAPPER_PREFIXES.map((p) => ({ label: `Remove \`${p}\``, description: p === 'module.' ? 'DataParallel / DDP' : p === 'model.' ? 'LightningModule self.model' : 'torch.compile', strip: [p] })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Compare: key prefixes of ${side}`, ignoreFocusOut: true });
  return picked ? picked.strip : null;
}

async function chooseOptions(d: CheckpointDiff): Promise<DiffOptions | undefined> {
  const name = (p: string) => p.split(/[\\/]/).pop() ?? p;
  const aKey = await pickSection('A', name(d.a), d.choice.a);
  if (aKey === undefined) return undefined;
  const bKey = await pickSection('B', name(d.b), d.choice.b);
  if (bKey === undefined) return undefined;
  const aStrip = await pickStrip('A', d.choice.a);
  if (aStrip === null) return undefined;
  const bStrip = aStrip === undefined ? undefined : await pickStrip('B', d.choice.b);
  if (bStrip === null) return undefined;
  const a: SideOptions = { key: aKey };
  const b: SideOptions = { key: bKey };
  if (aStrip !== undefined) { a.strip = aStrip; b.strip = bStrip ?? []; }
  return { a, b };
}

export async function compareCheckpoints(a: vscode.Uri, b: vscode.Uri): Promise<void> {
  let opts: DiffOptions = {};
  try {
    let d = await runDiff(a, b, opts);
    log().info(`compare ${a.fsPath} ↔ ${b.fsPath}: A ${d.choice.a.text}; B ${d.choice.b.text}; ${d.missing.length} missing, ${d.unexpected.length} unexpected, ${d.shapeMismatch.length} size mismatches, ${d.tensors.length} matched`);
    const panel: vscode.WebviewPanel = showDiffPanel(d, undefined, async () => {
      const next = await chooseOptions(d);
      if (!next) return;
      opts = next;
      try {
        d = await runDiff(a, b, opts);
        showDiffPanel(d, panel);
      } catch (e) {
        void vscode.window.showErrorMessage(`Compare Checkpoints: ${errorMessage(e)}`);
      }
    });
  } catch (e) {
    void vscode.window.showErrorMessage(`Compare Checkpoints: ${errorMessage(e)}`);
  }
}
