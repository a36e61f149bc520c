/**
 * The compute commands of the extension:
 *   tensorscope.runOp               Run Op…: pick an op, its tensors (open inspectors or .npy), parameters with
 *                                   torch's defaults filled in; the result opens as an unsaved tensor (views keep
 *                                   torch's strides over the input's storage), with Materialize / Save as .npy
 *   tensorscope.checkMetric         Check Metric…: pick a metric, prediction and target, parameters; result in a
 *                                   message and the Tensorscope output channel
 *   tensorscope.compareCheckpoints  Compare Checkpoints: two files (arguments, the Explorer's two-file selection,
 *                                   or open dialogs); sortable table in a webview
 *   tensorscope.selectForCompare    Explorer: remember a file; then tensorscope.compareWithSelected on another
 *   tensorscope.installCudaProvider Install CUDA Provider: onnxruntime's CUDA provider from NuGet (installCuda.ts)
 * Call `registerComputeCommands(context, registry)` once from activate().
 */
import { errorMessage } from '../../core/errors';
import * as vscode from 'vscode';
import type { Dense } from '../../compute/dense';
import { METRICS, METRIC_PARAMS, runMetric } from '../../compute/metrics';
import { checkOp, OPS, runOp } from '../../compute/ops';
import { callTitle, defaultParamLine, parseParamLine } from '../../compute/paramLine';
import { Params } from '../../compute/params';
import type { ProviderChoice } from '../../compute/providers';
import { parseProviders } from '../../compute/providers';
import { resultCheckpoint } from '../../compute/resultCheckpoint';
import { setChoiceStoreDir } from '../../compute/choiceStore';
import { materialize } from '../../compute/views';
import { writeNpy } from '../../core/npyWrite';
import { openCheckpoint } from '../../core/open';
import type { InspectorRegistry } from '../inspectorRegistry';
import { log } from '../log';
import { compareCheckpoints as compare } from './compare';
import { installCudaCommand } from './installCuda';
import { pickTensor } from './pick';

/** `tensorscope.compute.executionProviders`: empty or ["auto"] (the default) = measured choice; a list forces that order. */
export function computeProviders(): ProviderChoice {
  const v = vscode.workspace.getConfiguration('tensorscope').get<string[]>('compute.executionProviders');
  try {
    return parseProviders(v);
  } catch (e) {
    void vscode.window.showWarningMessage(`tensorscope.compute.executionProviders: ${errorMessage(e)}; using cpu`);
    return ['cpu'];
  }
}

/**
 * All parameters on one line, torch's defaults filled in, validated as it is typed (`validate` gets the parsed
 * parameters and returns the reason they would be refused, or null); undefined when cancelled, and when there
 * are no parameters at all, an empty set without asking.
 */
async function askParams(title: string, defaults: Record<string, string>, validate: (p: Params) => string | null): Promise<Params | undefined> {
  const names = Object.keys(defaults);
  if (!names.length) return new Params();
  const check = (line: string): string | null => {
    try {
      return validate(parseParamLine(line, names));
    } catch (e) {
      return errorMessage(e);
    }
  };
  const value = await vscode.window.showInputBox({
    title,
    prompt: `k=v separated by spaces (${names.map((n) => (defaults[n] === '' ? `${n} required` : `${n}=${defaults[n]}`)).join(', ')}); a value without k= fills the next parameter; None unsets`,
    value: defaultParamLine(defaults),
    ignoreFocusOut: true,
    validateInput: (line) => check(line),
  });
  if (value === undefined) return undefined;
  return parseParamLine(value, names);
}

async function withProgress<T>(title: string, fn: () => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, fn);
}

function describeRun(info: { reason: string; sessionMs: number; runMs: number } | null): string {
  return info ? `${info.reason}; session ${info.sessionMs.toFixed(0)} ms, run ${info.runMs.toFixed(0)} ms` : 'no kernel ran (a view)';
}

async function saveNpy(t: Dense, providers: ProviderChoice, suggested: string): Promise<void> {
  // a bare file name would resolve against '/': suggest it inside the (first) workspace folder
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, suggested) : vscode.Uri.file(suggested);
  const uri = await vscode.window.showSaveDialog({ filters: { NumPy: ['npy'] }, defaultUri });
  if (!uri) return;
  const m = await materialize(t, { providers });
  await writeNpy(uri.fsPath, m.tensor);
  void vscode.window.showInformationMessage(`Saved ${uri.fsPath}`);
}

async function showResult(registry: InspectorRegistry, t: Dense, title: string, facts: Record<string, string>, providers: ProviderChoice): Promise<void> {
  await registry.openCheckpoint(resultCheckpoint(t, 'result', title, facts), title, { tensor: 'result' });
  const isView = facts.view === 'yes';
  const actions = isView ? ['Materialize', 'Save as .npy…'] : ['Save as .npy…'];
  const choice = await vscode.window.showInformationMessage(`${title}: ${t.dtype} ${t.shape.join('×') || 'scalar'} — ${facts.ran}`, ...actions);
  if (choice === 'Materialize') {
    const m = await materialize(t, { providers });
    await showResult(registry, m.tensor, `${title} (materialized)`, { ran: describeRun(m.info), view: 'no' }, providers);
  } else if (choice === 'Save as .npy…') {
    await saveNpy(t, providers, `${title.replace(/[^\w.-]+/g, '_')}.npy`);
  }
}

async function runOpCommand(registry: InspectorRegistry): Promise<void> {
  const op = await vscode.window.showQuickPick([...OPS.values()].map((s) => ({ label: s.name, description: s.signature, spec: s })), { title: 'Tensorscope: Run Op' });
  if (!op) return;
  const spec = op.spec;
  const inputs: Dense[] = [];
  const labels: string[] = [];
  const count = spec.arity >= 0 ? spec.arity : 5;
  for (let i = 0; i < count; i++) {
    const p = await pickTensor(registry, `${spec.signature}: tensor ${i + 1}${spec.arity < 0 ? ' (or finish)' : ''}`, spec.arity < 0 && i >= 1);
    if (p === undefined) return;
    if (p === 'done') break;
    inputs.push(p.dense);
    labels.push(p.label);
  }
  const params = await askParams(spec.signature, spec.params, (p) => checkOp(spec.name, inputs, p));
  if (!params) return;
  const providers = computeProviders();
  try {
    const res = await withProgress(`Running ${spec.name}…`, () => runOp(spec.name, inputs, params, providers));
    const call = callTitle(spec.name, labels, params);
    log().info(`${call} → ${res.tensor.dtype} ${res.tensor.shape.join('×')} stride ${(res.tensor.stride ?? []).join(',')} [${describeRun(res.info)}] ${res.notes.join('; ')}`);
    for (const f of res.info?.fallbacks ?? []) log().info(`  ${f.provider} not used: ${f.error}`);
    await showResult(registry, res.tensor, call, { ran: describeRun(res.info), view: res.isView ? 'yes' : 'no', notes: res.notes.join('; ') }, providers);
  } catch (e) {
    void vscode.window.showErrorMessage(errorMessage(e));
  }
}

async function checkMetricCommand(registry: InspectorRegistry): Promise<void> {
  const m = await vscode.window.showQuickPick(METRICS.map((name) => ({ label: name, description: Object.entries(METRIC_PARAMS[name]).map(([k, v]) => `${k}=${v}`).join(' ') })), { title: 'Tensorscope: Check Metric' });
  if (!m) return;
  const pred = await pickTensor(registry, `${m.label}: prediction`);
  if (!pred || pred === 'done') return;
  const target = await pickTensor(registry, `${m.label}: target`);
  if (!target || target === 'done') return;
  const params = await askParams(`${m.label}: parameters`, METRIC_PARAMS[m.label as keyof typeof METRIC_PARAMS], () => null);
  if (!params) return;
  try {
    const r = await withProgress(`Computing ${m.label}…`, () => runMetric(m.label, pred.dense, target.dense, params, computeProviders()));
    const line = `${m.label}(${pred.label}, ${target.label}) = ${r.value}`;
    log().info(`${line} ${JSON.stringify(r.details)} [${r.reason}; session ${r.sessionMs.toFixed(0)} ms, run ${r.runMs.toFixed(0)} ms]`);
    if (r.perSample) log().info(`  per sample: ${r.perSample.join(', ')}`);
    const extra = m.label === 'allclose' ? ` — ${r.details.count} element(s) not close, worst at [${(r.details.worst_location as number[] | undefined)?.join(', ') ?? ''}]` : '';
    const choice = await vscode.window.showInformationMessage(`${line}${extra} (${r.provider})`, 'Show Details');
    if (choice) log().show(true);
  } catch (e) {
    void vscode.window.showErrorMessage(errorMessage(e));
  }
}

export function registerComputeCommands(context: vscode.ExtensionContext, registry: InspectorRegistry): void {
  // auto's measured provider choices live with this machine's global storage
  setChoiceStoreDir(context.globalStorageUri.fsPath);
  let selected: vscode.Uri | undefined;
  const pickFile = async (title: string) => (await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFolders: false }))?.[0];
  context.subscriptions.push(
    vscode.commands.registerCommand('tensorscope.runOp', () => runOpCommand(registry)),
    vscode.commands.registerCommand('tensorscope.checkMetric', () => checkMetricCommand(registry)),
    vscode.commands.registerCommand('tensorscope.installCudaProvider', () => installCudaCommand()),
    vscode.commands.registerCommand('tensorscope.compareCheckpoints', async (first?: vscode.Uri, all?: vscode.Uri[]) => {
      // from the Explorer with two files selected: (clicked, [both]); from the palette: dialogs
      if (all && all.length === 2) return compare(all[0], all[1]);
      const a = first instanceof vscode.Uri ? first : await pickFile('Compare Checkpoints: A (the model, expected keys)');
      if (!a) return;
      const b = await pickFile('Compare Checkpoints: B (loaded into A)');
      if (b) await compare(a, b);
    }),
    vscode.commands.registerCommand('tensorscope.selectForCompare', async (uri?: vscode.Uri) => {
      selected = uri instanceof vscode.Uri ? uri : await pickFile('Select Checkpoint for Compare');
      await vscode.commands.executeCommand('setContext', 'tensorscope.compareSelected', selected !== undefined);
    }),
    vscode.commands.registerCommand('tensorscope.compareWithSelected', async (uri?: vscode.Uri) => {
      if (!selected) { void vscode.window.showWarningMessage('Select a checkpoint for compare first (Explorer: Select Checkpoint for Compare)'); return; }
      const b = uri instanceof vscode.Uri ? uri : await pickFile('Compare Checkpoint with Selected');
      if (b) await compare(selected, b);
    }),
  );
}
