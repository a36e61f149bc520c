/**
 * Per debug session state: a {@link TensorHelper} (helper installed once per session) and the frame
 * the user is looking at — `vscode.debug.activeStackItem` where the API has it (1.90+), else the top
 * frame of the thread that stopped last (seen through a DebugAdapterTracker).
 */
import * as vscode from 'vscode';
import { TensorHelper } from '../../debug/tensorHelper';
import { SessionEvaluator } from './vscodeEvaluator';
import { PYTHON_DEBUG_TYPES, debugSettings } from './settings';
import type { LiveFrameLabel } from '../../debug/liveCheckpoint';
import path from 'node:path';

interface StackFrameItem { session: vscode.DebugSession; threadId: number; frameId: number }

export interface LiveFrame { session: vscode.DebugSession; frameId: number; helper: TensorHelper; threadId?: number }

export class LiveSessions implements vscode.Disposable {
  private readonly helpers = new Map<string, TensorHelper>();
  private readonly stoppedThread = new Map<string, number | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** fires when a session stops or continues */
  readonly onDidChange = this.changed.event;

  constructor() {
    const tracker: vscode.DebugAdapterTrackerFactory = {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { threadId?: number } }) => {
          if (m.type !== 'event') return;
          if (m.event === 'stopped') { this.stoppedThread.set(session.id, m.body?.threadId); this.changed.fire(); }
          else if (m.event === 'continued') { this.stoppedThread.delete(session.id); this.changed.fire(); }
        },
      }),
    };
    for (const type of PYTHON_DEBUG_TYPES) this.disposables.push(vscode.debug.registerDebugAdapterTrackerFactory(type, tracker));
    this.disposables.push(vscode.debug.onDidTerminateDebugSession((s) => {
      this.helpers.delete(s.id);
      this.stoppedThread.delete(s.id);
      this.changed.fire();
    }), this.changed);
  }

  helperFor(session: vscode.DebugSession): TensorHelper {
    let h = this.helpers.get(session.id);
    if (!h) {
      h = new TensorHelper(new SessionEvaluator(session, () => debugSettings().timeoutMs));
      this.helpers.set(session.id, h);
    }
    return h;
  }

  /** The stopped Python frame the user is looking at, or undefined when not stopped in one. */
  async current(): Promise<LiveFrame | undefined> {
    const item = (vscode.debug as unknown as { activeStackItem?: unknown }).activeStackItem;
    if (isStackFrame(item) && PYTHON_DEBUG_TYPES.has(item.session.type)) {
      return { session: item.session, frameId: item.frameId, threadId: item.threadId, helper: this.helperFor(item.session) };
    }
    const session = vscode.debug.activeDebugSession;
    if (!session || !PYTHON_DEBUG_TYPES.has(session.type) || !this.stoppedThread.has(session.id)) return undefined;
    let threadId = this.stoppedThread.get(session.id);
    try {
      if (threadId === undefined) {
        const t = (await session.customRequest('threads')) as { threads?: { id: number }[] };
        threadId = t.threads?.[0]?.id;
      }
      if (threadId === undefined) return undefined;
      const st = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as { stackFrames?: { id: number }[] };
      const frameId = st.stackFrames?.[0]?.id;
      return frameId === undefined ? undefined : { session, frameId, threadId, helper: this.helperFor(session) };
    } catch {
      return undefined;
    }
  }

  /** The frame's function, file and line, as the Call Stack shows them (for titles and messages). */
  async frameLabel(frame: LiveFrame): Promise<LiveFrameLabel | undefined> {
    type Frames = { stackFrames?: { id: number; name: string; line?: number; source?: { name?: string; path?: string } }[] };
    try {
      const threads = frame.threadId !== undefined ? [frame.threadId]
        : ((await frame.session.customRequest('threads')) as { threads?: { id: number }[] }).threads?.map((t) => t.id) ?? [];
      for (const threadId of threads) {
        const st = (await frame.session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 200 })) as Frames;
        const f = st.stackFrames?.find((x) => x.id === frame.frameId);
        if (f) return { name: f.name, line: f.line, source: f.source?.name ?? (f.source?.path ? path.basename(f.source.path) : undefined) };
      }
    } catch { /* the session moved on: no label */ }
    return undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.helpers.clear();
  }
}

function isStackFrame(x: unknown): x is StackFrameItem {
  return typeof x === 'object' && x !== null && typeof (x as StackFrameItem).frameId === 'number' && 'session' in x;
}
