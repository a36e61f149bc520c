/**
 * The open inspectors, for the rest of the extension: list the open checkpoints, find a tensor by name,
 * open a file or an in-memory checkpoint (a Run Op result, a live tensor from the debugger) in a new panel.
 *
 *   registry.list()                         → [{ id, title, uri, checkpoint }]
 *   registry.findTensor('layer1.0.weight')  → [{ inspector, tensor }]   (every open checkpoint that has it)
 *   registry.openFile(uri)                  → opens (or reveals) an inspector panel for a file or folder
 *   registry.openCheckpoint(cp, 'relu(x)')  → shows an in-memory checkpoint in a new panel
 */
import * as vscode from 'vscode';
import type { Checkpoint, TensorInfo } from '../core/model';

/** What the registry knows of one open inspector (implemented by Inspector in inspectorPanel.ts). */
export interface OpenInspector {
  readonly id: string;
  /** panel title */
  readonly title: string;
  /** the file or folder; undefined for an in-memory checkpoint */
  readonly uri: vscode.Uri | undefined;
  /** the loaded checkpoint, null while loading or after a failure */
  readonly checkpoint: Checkpoint | null;
  tensor(name: string): TensorInfo | undefined;
  /** bring the panel to front, optionally selecting and showing the details of one tensor */
  reveal(tensorName?: string): void;
  computeAllStatistics(): Promise<void>;
  reload(): Promise<void>;
}

export interface InspectorOpener {
  openFile(uri: vscode.Uri, options?: { viewColumn?: vscode.ViewColumn; tensor?: string }): Promise<OpenInspector>;
  openCheckpoint(checkpoint: Checkpoint, title: string, options?: { viewColumn?: vscode.ViewColumn; tensor?: string }): Promise<OpenInspector>;
}

export class InspectorRegistry implements vscode.Disposable {
  private readonly inspectors = new Set<OpenInspector>();
  private activeInspector: OpenInspector | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** fires when an inspector opens, closes, loads or becomes active */
  readonly onDidChange = this.changed.event;
  private opener: InspectorOpener | undefined;

  /** set once by extension.ts */
  setOpener(opener: InspectorOpener): void {
    this.opener = opener;
  }

  add(i: OpenInspector): void {
    this.inspectors.add(i);
    this.activeInspector = i;
    this.changed.fire();
  }

  remove(i: OpenInspector): void {
    this.inspectors.delete(i);
    if (this.activeInspector === i) this.activeInspector = undefined;
    this.changed.fire();
  }

  setActive(i: OpenInspector): void {
    this.activeInspector = i;
    this.changed.fire();
  }

  notifyChanged(): void {
    this.changed.fire();
  }

  /** the inspector the user used last (for palette commands) */
  get active(): OpenInspector | undefined {
    return this.activeInspector ?? [...this.inspectors].pop();
  }

  list(): OpenInspector[] {
    return [...this.inspectors];
  }

  /** open checkpoints (loaded ones only) */
  checkpoints(): Array<{ inspector: OpenInspector; checkpoint: Checkpoint }> {
    return this.list().flatMap((inspector) => (inspector.checkpoint ? [{ inspector, checkpoint: inspector.checkpoint }] : []));
  }

  /** every open inspector that holds a tensor with this name; the active one first */
  findTensor(name: string): Array<{ inspector: OpenInspector; tensor: TensorInfo }> {
    const out: Array<{ inspector: OpenInspector; tensor: TensorInfo }> = [];
    const ordered = this.active ? [this.active, ...this.list().filter((i) => i !== this.active)] : this.list();
    for (const inspector of ordered) {
      const tensor = inspector.tensor(name);
      if (tensor) out.push({ inspector, tensor });
    }
    return out;
  }

  /** the tensor `name` of the inspector showing `uri` (or of any inspector when uri is omitted) */
  getTensor(name: string, uri?: vscode.Uri): TensorInfo | undefined {
    return this.findTensor(name).find((f) => !uri || f.inspector.uri?.toString() === uri.toString())?.tensor;
  }

  openFile(uri: vscode.Uri, options?: { viewColumn?: vscode.ViewColumn; tensor?: string }): Promise<OpenInspector> {
    if (!this.opener) throw new Error('Tensorscope is not activated');
    const existing = this.list().find((i) => i.uri?.toString() === uri.toString());
    if (existing) {
      existing.reveal(options?.tensor);
      return Promise.resolve(existing);
    }
    return this.opener.openFile(uri, options);
  }

  openCheckpoint(checkpoint: Checkpoint, title: string, options?: { viewColumn?: vscode.ViewColumn; tensor?: string }): Promise<OpenInspector> {
    if (!this.opener) throw new Error('Tensorscope is not activated');
    return this.opener.openCheckpoint(checkpoint, title, options);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
