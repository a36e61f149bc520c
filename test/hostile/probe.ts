/**
 * The whole adversarial corpus, the largest files included, with a per-case table (opt-in, not in CI):
 *   node --import tsx test/hostile/probe.ts [NAME-REGEX]     (after `node scripts/build.mjs`)
 * Environment: TENSORSCOPE_HOSTILE_HANG_MS (default 10000).
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildHostileCorpus } from './corpus';
import { judge, repoRoot, runCli } from './run';

async function main(): Promise<number> {
  const hangMs = Number(process.env.TENSORSCOPE_HOSTILE_HANG_MS ?? 10_000);
  const dir = path.join(repoRoot, '.cache', 'hostile');
  const canary = path.join(repoRoot, '.cache', 'hostile-canary');
  rmSync(canary, { force: true });
  const only = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
  const cases = buildHostileCorpus(dir, canary, true).filter((c) => !only || only.test(c.name));
  let bad = 0;
  for (const c of cases) {
    const r = await runCli(c.args, hangMs);
    const wrong = judge(c, r, hangMs);
    if (wrong) bad++;
    const first = r.stderr.split('\n')[0].slice(0, 140);
    console.log(`${wrong ? 'FAIL' : 'ok  '} ${c.name}: ${r.seconds.toFixed(1)} s ${r.peakMiB.toFixed(0)} MiB${wrong ? ` — ${wrong}` : ''}${first ? ` | ${first}` : ''}`);
  }
  const ran = existsSync(canary);
  console.log(`${cases.length} cases, ${bad} failed; canary ${ran ? 'CREATED (a payload ran)' : 'absent'}`);
  return bad || ran ? 1 : 0;
}

void main().then((code) => { process.exitCode = code; });
