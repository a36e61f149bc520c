/** What the views share: the persisted state, the connection to the host, navigation. Implemented in main.ts. */
import type { InspectorProtocol, InspectorState, ViewName } from '../src/shared/protocol';
import type { RequestClient, ViewNoteType } from '../src/shared/channel';
import type { Infer } from '../src/shared/schema';

export interface App {
  state: InspectorState;
  tensorCount: number;
  /** persist state now / soon (scrolling) */
  save(): void;
  saveSoon(): void;
  /**
   * A request to the host (src/shared/protocol.ts INSPECTOR): resolves with its reply, rejects with a RequestError
   * (the host's error reply) or a CancelledError (its signal aborted).
   */
  request: RequestClient<InspectorProtocol>['request'];
  /** a note (no reply) to the host */
  note<K extends ViewNoteType<InspectorProtocol>>(type: K, body: Infer<InspectorProtocol['fromView'][K]>): void;
  showView(view: ViewName): void;
  openDetails(name: string): void;
  /** select a tensor in the table and scroll to it */
  showInTable(name: string): void;
  /** show the table with this filter (`flag:>0`: the suspicious tensors) */
  filterTable(filter: string): void;
  copy(text: string): void;
}
