/**
 * Wires the other parts of the extension that build on the inspector registry:
 *   registerComputeCommands(context, registry)  from ./compute/register  (Run Op, Check Metric, Diff)
 *   registerDebugFeatures(context, registry)    from ./debug/register    (debugger hovers, live tensors, autograd)
 *   registerTraceFeatures(context)              from ./trace/register    (Trace Shapes: shapes per line, errors explained)
 * Each is isolated so a failure in one part still leaves the inspector working (and is logged).
 */
import type * as vscode from 'vscode';
import type { InspectorRegistry } from './inspectorRegistry';
import { registerComputeCommands } from './compute/register';
import { registerDebugFeatures } from './debug/register';
import { registerTraceFeatures } from './trace/register';
import { log } from './log';

export function registerCompanions(context: vscode.ExtensionContext, registry: InspectorRegistry): void {
  const guard = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      log().error(`${what} failed to register: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  };
  guard('compute commands', () => registerComputeCommands(context, registry));
  guard('debugger features', () => { registerDebugFeatures(context, registry); });
  guard('shape trace', () => { registerTraceFeatures(context); });
}
