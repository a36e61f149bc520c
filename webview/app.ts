/** What the views share: the persisted state, the request channel, navigation. Implemented in main.ts. */
import type { HostMessage, InspectorState, ViewName, WebviewMessage } from '../src/shared/protocol';

export type Request = WebviewMessage & { requestId: number };

export interface App {
  state: InspectorState;
  tensorCount: number;
  /** persist state now / soon (scrolling) */
  save(): void;
  saveSoon(): void;
  /** send a request; every reply with its id (page, details, stats, progress, values, error) goes to onReply. Returns the id. */
  call(message: Request, onReply: (m: HostMessage) => void): number;
  send(message: WebviewMessage): void;
  /** forget a request's reply handler */
  drop(requestId: number): void;
  showView(view: ViewName): void;
  openDetails(name: string): void;
  /** select a tensor in the table and scroll to it */
  showInTable(name: string): void;
  /** show the table with this filter (`flag:>0`: the suspicious tensors) */
  filterTable(filter: string): void;
  copy(text: string): void;
}
