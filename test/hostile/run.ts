/**
 * Runs one CLI command of the adversarial corpus under `/usr/bin/time -v` (peak resident memory) with a
 * wall-clock limit; on time-out the whole process group is killed. Used by the CI test and by the
 * opt-in mutation run (`test/hostile/mutate.ts`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './corpus';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface CaseRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** peak RSS in MiB (0 when /usr/bin/time is missing) */
  peakMiB: number;
  seconds: number;
  timedOut: boolean;
}

/** `node dist/cli.js` when built, else the sources through tsx. */
export function cliCommand(): string[] {
  const built = path.join(repoRoot, 'dist', 'cli.js');
  if (existsSync(built)) return [process.execPath, built];
  return [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts')];
}

const TIME = '/usr/bin/time';

export function runCli(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<CaseRun> {
  const cmd = cliCommand();
  const useTime = existsSync(TIME);
  const argv = useTime ? [TIME, '-v', ...cmd, ...args] : [...cmd, ...args];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: repoRoot, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    child.stdout.on('data', (b: Buffer) => { if (outBytes < 64 << 20) { out.push(b); outBytes += b.length; } });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      let peakMiB = 0;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (m) peakMiB = Number(m[1]) / 1024;
        const exit = /Exit status: (\d+)/.exec(stderr);
        const sig = /Command terminated by signal (\d+)/.exec(stderr);
        const cut = stderr.search(/(Command exited with non-zero status \d+\n)?(Command terminated by signal \d+\n)?\tCommand being timed:/);
        if (cut >= 0) stderr = stderr.slice(0, cut);
        code = sig ? 128 + Number(sig[1]) : exit ? Number(exit[1]) : code;
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr, peakMiB, seconds: (Date.now() - started) / 1000, timedOut });
    });
  });
}

/** What is wrong with one run of a corpus case, or undefined. */
export function judge(c: HostileCase, r: CaseRun, hangMs: number): string | undefined {
  if (r.timedOut) return `no result after ${hangMs / 1000} s`;
  if (r.peakMiB > c.memMiB) return `peak memory ${r.peakMiB.toFixed(0)} MiB > ${c.memMiB} MiB`;
  if (r.code !== 0 && r.code !== 1) return `exit status ${r.code}: ${r.stderr.slice(0, 300)}`;
  if (c.expect === 'ok' && r.code !== 0) return `failed: ${r.stderr.trim()}`;
  if (c.expect === 'error' && r.code !== 1) return 'succeeded where an error was expected';
  if (r.code === 1) {
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    if (lines.length !== 1 || !lines[0].startsWith('error: ')) return `not one error line: ${JSON.stringify(r.stderr.slice(0, 300))}`;
  }
  return c.check?.(r);
}
