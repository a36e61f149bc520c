/**
 * Worker-thread entry (`dist/statsWorker.js`): receives raw blocks of a job, decodes and accumulates them,
 * returns the partial result on `end`. Messages: see pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { accumulate, newAccum, type Accum } from './kernel';
import { numericBlock, type StatsJob } from './block';
import { errorMessage } from '../errors';

export type ToWorker =
  | { type: 'block'; id: number; job: StatsJob; first: number; bytes: Uint8Array }
  | { type: 'end'; id: number };

export type FromWorker =
  | { type: 'ack'; id: number; count: number }
  | { type: 'result'; id: number; acc: Accum | null }
  | { type: 'error'; id: number; message: string };

const jobs = new Map<number, Accum>();
const port = parentPort;
if (port) {
  port.on('message', (msg: ToWorker) => {
    try {
      if (msg.type === 'block') {
        let acc = jobs.get(msg.id);
        if (!acc) {
          acc = newAccum(true);
          jobs.set(msg.id, acc);
        }
        const values = numericBlock(msg.job, msg.bytes, msg.first);
        if (values) accumulate(acc, values);
        const reply: FromWorker = { type: 'ack', id: msg.id, count: values ? values.length : 0 };
        port.postMessage(reply);
      } else {
        const acc = jobs.get(msg.id) ?? null;
        jobs.delete(msg.id);
        const reply: FromWorker = { type: 'result', id: msg.id, acc };
        const transfer: ArrayBuffer[] = acc ? acc.ranged.map((r) => r.counts.buffer as ArrayBuffer) : [];
        if (acc?.fine) transfer.push(acc.fine.buffer as ArrayBuffer);
        port.postMessage(reply, transfer);
      }
    } catch (err) {
      jobs.delete(msg.id);
      const reply: FromWorker = { type: 'error', id: msg.id, message: errorMessage(err) };
      port.postMessage(reply);
    }
  });
}
