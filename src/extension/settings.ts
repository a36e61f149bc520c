/** Typed access to the `tensorscope.*` settings (declared in package.json `contributes.configuration`). */
import * as vscode from 'vscode';

export interface InspectorSettings {
  /** group the table by module prefix by default */
  groupByModule: boolean;
  /** re-read a file when it changes on disk */
  reloadOnChange: boolean;
  /** delay before re-reading after the last change (ms) */
  reloadDelayMs: number;
  /** most elements a slice shows in the values table / heatmap */
  maxSliceElements: number;
  /** hover tooltips for tensor names in Python files */
  hoverEnabled: boolean;
}

export function inspectorSettings(): InspectorSettings {
  const c = vscode.workspace.getConfiguration('tensorscope');
  return {
    groupByModule: c.get<boolean>('table.groupByModule', true),
    reloadOnChange: c.get<boolean>('reloadOnChange', true),
    reloadDelayMs: Math.max(0, c.get<number>('reloadDelayMs', 500)),
    maxSliceElements: Math.min(65_536, Math.max(16, c.get<number>('values.maxElements', 16_384))),
    hoverEnabled: c.get<boolean>('hover.enabled', true),
  };
}
