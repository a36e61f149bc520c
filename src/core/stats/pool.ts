/**
 * A small pool of statistics workers (node:worker_threads running `statsWorker.js`). The main thread reads
 * the file; blocks go to the least busy worker, their buffers transferred (not copied); at most
 * MAX_INFLIGHT blocks wait per worker. Workers are unref'd while idle so they never keep the process alive.
 *
 *   StatsPool.shared()   the process-wide pool, or null when no worker script is available (then: inline)
 *   pool.run(job, blocks, {signal, onBlock})  → merged partial result
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawBlock } from '../elements';
import { mergeAccum, newAccum, type Accum } from './kernel';
import type { StatsJob } from './block';
import type { FromWorker, ToWorker } from './statsWorker';

const MAX_INFLIGHT = 2;

/** A worker crashed or could not start: the caller may retry inline. */
export class WorkerFailure extends Error {
  override name = 'WorkerFailure';
}

interface Slot {
  worker: Worker;
  inflight: number;
  /** per job id: resolve when its result arrives */
  results: Map<number, { resolve: (a: Accum | null) => void; reject: (e: Error) => void }>;
  failed?: Error;
}

/** Where the worker script is: `TENSORSCOPE_STATS_WORKER` (a .js, or a .ts run through tsx), else beside the bundle. */
export function statsWorkerScript(): { file: string; execArgv: string[] } | null {
  const env = process.env.TENSORSCOPE_STATS_WORKER;
  if (env) return { file: path.resolve(env), execArgv: [] };
  const js = path.join(__dirname, 'statsWorker.js');
  return existsSync(js) ? { file: js, execArgv: [] } : null;
}

export function defaultWorkerCount(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, n));
}

export class StatsPool {
  private static instance: StatsPool | null | undefined;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private active = 0;
  private waiters: Array<() => void> = [];

  private constructor(private readonly script: { file: string; execArgv: string[] }, private readonly size: number) {}

  /** The shared pool, or null when there is no worker script (running from source without a build). */
  /** Stop using workers for the rest of the process (after a WorkerFailure). */
  static disable(): void {
    const p = StatsPool.instance;
    StatsPool.instance = null;
    if (p) for (const s of p.slots) void s.worker.terminate();
  }

  static shared(): StatsPool | null {
    if (StatsPool.instance === undefined) {
      const script = statsWorkerScript();
      StatsPool.instance = script ? new StatsPool(script, defaultWorkerCount()) : null;
    }
    return StatsPool.instance;
  }

  /** Stop the shared pool's workers (tests, extension deactivation). */
  static async shutdown(): Promise<void> {
    const p = StatsPool.instance;
    StatsPool.instance = undefined;
    if (p) await Promise.all(p.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const file = this.script.file;
    // a .ts worker (running from source) loads through tsx's require hook
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file, { execArgv: this.script.execArgv });
    const slot: Slot = { worker, inflight: 0, results: new Map() };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ack') {
        slot.inflight--;
        this.wake();
      } else if (msg.type === 'result') {
        slot.results.get(msg.id)?.resolve(msg.acc);
        slot.results.delete(msg.id);
      } else {
        slot.inflight = Math.max(0, slot.inflight - 1);
        slot.failed = new WorkerFailure(`statistics worker: ${msg.message}`);
        this.wake();
      }
    });
    const fail = (e: Error) => {
      const err = e instanceof WorkerFailure ? e : new WorkerFailure(`statistics worker failed: ${e.message}`);
      slot.failed ??= err;
      for (const r of slot.results.values()) r.reject(err);
      slot.results.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      this.wake();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new WorkerFailure(`statistics worker exited (${code})`)));
    worker.unref();
    return slot;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async pick(): Promise<Slot> {
    for (;;) {
      while (this.slots.length < this.size) this.slots.push(this.spawn());
      let best: Slot | undefined;
      for (const s of this.slots) if (!best || s.inflight < best.inflight) best = s;
      if (best && best.inflight < MAX_INFLIGHT) return best;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private ref(on: boolean): void {
    this.active += on ? 1 : -1;
    for (const s of this.slots) {
      if (this.active > 0) s.worker.ref(); else s.worker.unref();
    }
  }

  async run(job: StatsJob, blocks: AsyncIterable<RawBlock>, opts: { signal?: AbortSignal; onBlock?: (count: number) => void } = {}): Promise<Accum> {
    const id = this.nextId++;
    const used = new Set<Slot>();
    this.ref(true);
    try {
      for await (const block of blocks) {
        if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
        const slot = await this.pick();
        if (slot.failed) throw slot.failed;
        slot.worker.ref();
        // transfer only buffers made for this block; memory a ByteSource handed out (a cache, a buffer source)
        // must not be detached, so it is copied
        const whole = block.bytes.byteOffset === 0 && block.bytes.byteLength === block.bytes.buffer.byteLength;
        const bytes = block.owned && whole ? block.bytes : new Uint8Array(block.bytes);
        const msg: ToWorker = { type: 'block', id, job, first: block.first, bytes };
        slot.inflight++;
        used.add(slot);
        slot.worker.postMessage(msg, [bytes.buffer as ArrayBuffer]);
        opts.onBlock?.(block.count);
      }
      const parts = await Promise.all([...used].map((slot) => new Promise<Accum | null>((resolve, reject) => {
        if (slot.failed) { reject(slot.failed); return; }
        slot.results.set(id, { resolve, reject });
        const end: ToWorker = { type: 'end', id };
        slot.worker.postMessage(end);
      })));
      for (const s of used) if (s.failed) throw s.failed;
      const acc = newAccum();
      for (const p of parts) if (p) mergeAccum(acc, p);
      return acc;
    } catch (err) {
      for (const slot of used) {
        if (!slot.failed) slot.worker.postMessage({ type: 'end', id } satisfies ToWorker);
      }
      throw err;
    } finally {
      this.ref(false);
    }
  }
}
