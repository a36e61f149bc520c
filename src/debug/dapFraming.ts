/** DAP's base protocol: `Content-Length: N\r\n\r\n<N bytes of JSON>` messages on a byte stream. */
import type { Readable, Writable } from 'node:stream';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Calls `onMessage` for each complete message read from `input`. */
export function readMessages(input: Readable, onMessage: (m: DebugProtocol.ProtocolMessage) => void): void {
  let buffer: Buffer = Buffer.alloc(0);
  input.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const m = /Content-Length:\s*(\d+)/i.exec(buffer.subarray(0, headerEnd).toString('ascii'));
      if (!m) { buffer = buffer.subarray(headerEnd + 4); continue; }
      const len = Number(m[1]);
      if (buffer.length < headerEnd + 4 + len) return;
      const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + len).toString('utf8');
      buffer = buffer.subarray(headerEnd + 4 + len);
      let msg: DebugProtocol.ProtocolMessage;
      try { msg = JSON.parse(body) as DebugProtocol.ProtocolMessage; } catch { continue; }
      onMessage(msg);
    }
  });
}

export function writeMessage(output: Writable, msg: DebugProtocol.ProtocolMessage): void {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  output.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
}
