/** The webview side of the channel: typed postMessage and state. */
import type { InspectorState, WebviewMessage } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = typeof acquireVsCodeApi === 'function'
  ? acquireVsCodeApi()
  : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };

export function send(message: WebviewMessage): void {
  api.postMessage(message);
}

export function loadState(): unknown {
  return api.getState();
}

export function saveState(state: InspectorState): void {
  api.setState(state);
}

let nextRequest = 1;
export function requestId(): number {
  return nextRequest++;
}
