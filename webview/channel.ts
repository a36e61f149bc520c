/**
 * A webview's end of its protocol (src/shared/protocol.ts, carried by src/shared/channel.ts): requests as
 * promises, notes both ways, and every message from the host checked before use (a bad one is logged and dropped).
 */
import { parseFromHost, RequestClient, type HostNote, type ProtocolSpec, type ViewNoteType } from '../src/shared/channel';
import type { Infer } from '../src/shared/schema';
import { postToHost } from './vscodeApi';

export interface Connection<P extends ProtocolSpec> {
  readonly client: RequestClient<P>;
  /** send a note (no reply) */
  note<K extends ViewNoteType<P>>(type: K, body: Infer<P['fromView'][K]>): void;
}

export function connect<P extends ProtocolSpec>(protocol: P, onNote: (note: HostNote<P>) => void): Connection<P> {
  const client = new RequestClient<P>((m) => postToHost(m));
  window.addEventListener('message', (e: MessageEvent) => {
    const parsed = parseFromHost(protocol, e.data);
    if (!parsed.ok) { console.warn(`Tensorscope: dropped a message from the host: ${parsed.error}`); return; }
    if (!client.receive(parsed.message)) onNote(parsed.message as HostNote<P>);
  });
  return {
    client,
    note: (type, body) => postToHost({ kind: 'note', type, body }),
  };
}
