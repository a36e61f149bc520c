/**
 * Wires the other parts of the extension that build on the inspector registry:
 *   registerComputeCommands(context, registry)  from ./compute/register  (Run Op, Check Metric, Diff)
 *   registerDebugFeatures(context, registry)    from ./debug/register    (debugger hovers, live tensors, autograd)
 */
import type * as vscode from 'vscode';
import type { InspectorRegistry } from './inspectorRegistry';

export function registerCompanions(context: vscode.ExtensionContext, registry: InspectorRegistry): void {
  // TODO(coordinator): src/extension/compute/register.ts and src/extension/debug/register.ts did not exist
  // when this was written; once they do, call them here:
  //   registerComputeCommands(context, registry);
  //   registerDebugFeatures(context, registry);
  void context;
  void registry;
}
