/**
 * The opt-in mutation run (issue #15: thousands of mutants, outside CI's time). Seeds: the small files of the
 * generated adversarial corpus (payloads included), the test fixtures made by real PyTorch
 * (`.cache/fixtures/`), and `../shared/corpus/torch2.11/` when present. Each mutant (test/hostile/mutations.ts)
 * goes through the CLI (`inspect --json`, the `inspect` table, `stats`, now and then `diff` against its seed)
 * and is judged by the limits of the issue's "Done when": no result in 10 s is a hang, 1 GiB peak is too
 * much, and the end is exit 0 or exactly one `error: ` line, with no raw control character in text output
 * and no canary file created. Failing mutants are kept under `.cache/hostile-mutants/failures/`.
 *
 *   npm run hostile:mutate -- [--count N] [--first I] [--seed S] [--only KIND-REGEX] [--hang-ms MS] [--jobs J]
 *   (`--first I --count 1` remakes and reruns mutant #I alone)
 *   npm run bench -- hostile [same options]
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildHostileCorpus } from './corpus';
import { mulberry32, mutate, pick } from './mutations';
import { repoRoot, runCli, type CaseRun } from './run';
import type { TestContext } from 'node:test';
import { formatFixtures, torchFixture } from '../unit/formats-helpers';
import { ensureTrainFixtures } from '../trainFixtures';

const MAX_SEED_BYTES = 2 << 20;
/** a multi-file checkpoint folder is copied with its mutant; bigger ones are mutated as single files */
const MAX_FOLDER_BYTES = 8 << 20;
const MEM_LIMIT_MIB = 1024;

interface Options { count: number; first: number; seed: number; hangMs: number; jobs: number; only?: RegExp }

function parseOptions(argv: string[]): Options {
  const o: Options = { count: 3000, first: 0, seed: 20261201, hangMs: 10_000, jobs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const num = (): number => { const n = Number(v); if (!Number.isFinite(n) || v === undefined) throw new Error(`${argv[i]} needs a number`); i++; return n; };
    switch (argv[i]) {
      case '--count': o.count = num(); break;
      case '--seed': o.seed = num(); break;
      case '--first': o.first = Math.max(0, num()); break;
      case '--hang-ms': o.hangMs = num(); break;
      case '--jobs': o.jobs = Math.max(1, num()); break;
      case '--only': o.only = new RegExp(v ?? ''); i++; break;
      default: throw new Error(`unknown option ${argv[i]} (options: --count N --first I --seed S --only KIND-REGEX --hang-ms MS --jobs J)`);
    }
  }
  return o;
}

/** A seed file; `folder` (relative to `root`) is the multi-file checkpoint it belongs to, copied with each mutant. */
interface Seed { source: string; root: string; rel: string; folder?: string; bytes: Uint8Array }

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

function folderBytes(dir: string): number {
  return walk(dir).reduce((a, p) => a + lstatSync(p).size, 0);
}

const SKIP_NAMES = new Set(['expected.json', 'truth.json', 'manifest.json', 'NAMING.md']);

function seedsFrom(source: string, root: string): Seed[] {
  const seeds: Seed[] = [];
  for (const p of walk(root)) {
    const st = lstatSync(p);
    if (st.size === 0 || st.size > MAX_SEED_BYTES || SKIP_NAMES.has(path.basename(p))) continue;
    const rel = path.relative(root, p);
    const top = rel.split(path.sep)[0];
    const folder = top !== rel && folderBytes(path.join(root, top)) <= MAX_FOLDER_BYTES ? top : undefined;
    seeds.push({ source, root, rel, folder, bytes: new Uint8Array(readFileSync(p)) });
  }
  return seeds;
}

/** Copy a checkpoint folder: regular files and links (a FIFO is never recreated; its reader refusal is tested in CI). */
function copyFolder(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const a = path.join(from, name);
    const b = path.join(to, name);
    const st = lstatSync(a);
    if (st.isDirectory()) copyFolder(a, b);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(a), b);
    else if (st.isFile()) cpSync(a, b);
  }
}

type Outcome = 'ok' | 'one-line error' | 'hang' | 'over memory' | 'crash' | 'multi-line' | 'raw control' | 'bad json' | 'payload ran';
const FAILING: readonly Outcome[] = ['hang', 'over memory', 'crash', 'multi-line', 'raw control', 'bad json', 'payload ran'];

// C0 (but \n, \t), DEL, C1 and the bidi overrides must never reach a terminal raw (as the CI corpus checks)
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;

function judge(r: CaseRun, json: boolean, canary: string): Outcome {
  if (existsSync(canary)) return 'payload ran';
  if (r.timedOut) return 'hang';
  if (r.peakMiB > MEM_LIMIT_MIB) return 'over memory';
  if (r.code !== 0 && r.code !== 1) return 'crash';
  if (RAW_CONTROL.test(r.stderr) || (!json && RAW_CONTROL.test(r.stdout))) return 'raw control';
  if (r.code === 1) {
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    return lines.length === 1 && lines[0].startsWith('error: ') ? 'one-line error' : 'multi-line';
  }
  if (json) {
    try { JSON.parse(r.stdout); } catch { return 'bad json'; }
  }
  return 'ok';
}

interface Result { index: number; seed: Seed; kind: string; what: string; args: string[]; outcome: Outcome; run: CaseRun; unmutated?: Outcome }

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const base = path.join(repoRoot, '.cache', 'hostile-mutants');
  const canary = path.join(base, 'canary');
  const failDir = path.join(base, 'failures');
  rmSync(canary, { force: true });
  // a run from the start replaces the kept failures; a rerun of some mutants (--first) adds to them
  if (opts.first === 0) rmSync(failDir, { recursive: true, force: true });
  mkdirSync(failDir, { recursive: true });
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.js'))) console.log('mutate: dist/cli.js is missing; running the CLI from sources (slower). Build first: node scripts/build.mjs');

  const t0 = Date.now();
  const corpusDir = path.join(base, 'corpus');
  buildHostileCorpus(corpusDir, canary, false);
  const seeds: Seed[] = seedsFrom('corpus', corpusDir);
  // the fixtures real PyTorch makes for the tests, made now when missing; only these (not whatever else other
  // tests left in .cache/fixtures), so the seeds and with them every mutant are the same from run to run
  formatFixtures();
  const trainProblem = ensureTrainFixtures();
  if (trainProblem) console.log(`mutate: ${trainProblem}`);
  const skipNote = { skip: (why: string) => console.log(`mutate: ${why}`) } as unknown as TestContext;
  torchFixture(skipNote, 'make_torch_fixtures.py', 'core');
  torchFixture(skipNote, 'make_dcp_fixture.py', 'dcp');
  torchFixture(skipNote, 'make_pt2_fixture.py', 'pt2');
  const fixtures = path.join(repoRoot, '.cache', 'fixtures');
  for (const d of ['formats', 'core', 'train', 'dcp', 'pt2']) {
    if (existsSync(path.join(fixtures, d))) seeds.push(...seedsFrom(`fixtures/${d}`, path.join(fixtures, d)));
  }
  const torch211 = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11');
  if (existsSync(torch211)) seeds.push(...seedsFrom('torch2.11', torch211));
  else console.log(`mutate: ${torch211} is absent; its files are not used as seeds`);
  const bySource = new Map<string, number>();
  for (const s of seeds) bySource.set(s.source, (bySource.get(s.source) ?? 0) + 1);
  console.log(`mutate: ${seeds.length} seeds (${[...bySource].map(([k, n]) => `${k} ${n}`).join(', ')}) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${opts.count} mutants, seed ${opts.seed}, ${opts.jobs} at a time, hang at ${opts.hangMs / 1000} s, memory limit ${MEM_LIMIT_MIB} MiB`);

  const results: Result[] = [];
  let next = opts.first;
  const end = opts.first + opts.count;
  let done = 0;
  const lane = async (k: number): Promise<void> => {
    const work = path.join(base, 'work', `lane${k}`);
    while (next < end) {
      const index = next++;
      // every mutant from its own stream: reproducible alone, whatever the lane or the count
      const r = mulberry32(Math.imul(opts.seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
      const seed = pick(r, seeds);
      const m = mutate(seed.bytes, r);
      if (opts.only && !opts.only.test(m.kind)) { done++; continue; }
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      if (seed.folder) copyFolder(path.join(seed.root, seed.folder), path.join(work, seed.folder));
      const file = path.join(work, seed.rel);
      mkdirSync(path.dirname(file), { recursive: true });
      rmSync(file, { force: true }); // a link to the original is replaced by the mutant, never written through
      writeFileSync(file, m.bytes);
      const dcp = /(^|\/)(\.metadata|[^/]*\.distcp)$/.test(seed.rel);
      const target = seed.folder && (dcp || r() < 0.5) ? path.join(work, seed.folder) : file;
      const mode = r();
      const args = mode < 0.5 ? ['inspect', target, '--json'] : mode < 0.75 ? ['inspect', target] : mode < 0.95 ? ['stats', target] : ['diff', target, path.join(seed.root, seed.rel)];
      const run = await runCli(args, opts.hangMs);
      const outcome = judge(run, args.includes('--json'), canary);
      const res: Result = { index, seed, kind: m.kind, what: m.what, args, outcome, run };
      results.push(res);
      if (FAILING.includes(outcome)) {
        const dir = path.join(failDir, `${String(index).padStart(5, '0')}-${outcome.replace(/ /g, '-')}`);
        rmSync(dir, { recursive: true, force: true });
        cpSync(work, dir, { recursive: true, verbatimSymlinks: true });
        const argsThere = args.map((a) => a.startsWith(work) ? path.join(dir, path.relative(work, a)) : a);
        // the same command on the unmutated seed tells a mutant's own failure from a case already failing
        rmSync(canary, { force: true });
        const plainRun = await runCli(args.map((a) => a.startsWith(work) ? path.join(seed.root, path.relative(work, a)) : a), opts.hangMs);
        res.unmutated = judge(plainRun, args.includes('--json'), canary);
        writeFileSync(path.join(dir, 'case.txt'), [
          `outcome: ${outcome} (the unmutated seed, same command: ${res.unmutated})`, `seed file: ${seed.source}/${seed.rel}`, `mutation: ${m.kind}: ${m.what}`,
          `reproduce: node dist/cli.js ${argsThere.map((a) => JSON.stringify(a)).join(' ')}`,
          `or: node --import tsx test/hostile/mutate.ts --seed ${opts.seed} --first ${index} --count 1`,
          `exit ${run.code}, ${run.seconds.toFixed(2)} s, ${run.peakMiB.toFixed(0)} MiB${run.timedOut ? ', timed out' : ''}`,
          `stderr:\n${run.stderr.slice(0, 4000)}`, `stdout (head):\n${run.stdout.slice(0, 2000)}`,
        ].join('\n'));
        console.log(`  FAIL #${index} ${outcome}: ${seed.source}/${seed.rel} ${m.kind} (${m.what}) · ${args[0]} → ${JSON.stringify(run.stderr.split('\n')[0].slice(0, 160))}; unmutated: ${res.unmutated}`);
        rmSync(canary, { force: true });
      }
      if (++done % 250 === 0) console.log(`  … ${done}/${opts.count} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: opts.jobs }, (_, k) => lane(k)));
  rmSync(path.join(base, 'work'), { recursive: true, force: true });

  const count = new Map<Outcome, number>();
  for (const x of results) count.set(x.outcome, (count.get(x.outcome) ?? 0) + 1);
  const kinds = new Map<string, number>();
  for (const x of results) { const k = x.kind.split('+')[0]; kinds.set(k, (kinds.get(k) ?? 0) + 1); }
  const desc = (x: Result): string => `#${x.index} ${x.seed.source}/${x.seed.rel} · ${x.kind}: ${x.what.slice(0, 100)} · ${x.args[0]}${x.args.includes('--json') ? ' --json' : ''} → ${x.outcome}`;
  const order: Outcome[] = ['ok', 'one-line error', ...FAILING];
  console.log(`\nmutate: ${results.length} mutants run in ${((Date.now() - t0) / 1000).toFixed(0)} s (seed ${opts.seed})`);
  console.log(`  outcomes: ${order.map((o) => `${o} ${count.get(o) ?? 0}`).join(' · ')}`);
  console.log(`  mutations: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(' · ')}`);
  console.log('  slowest:');
  for (const x of [...results].sort((a, b) => b.run.seconds - a.run.seconds).slice(0, 5)) console.log(`    ${x.run.seconds.toFixed(2)} s  ${desc(x)}`);
  console.log('  biggest peak memory:');
  for (const x of [...results].sort((a, b) => b.run.peakMiB - a.run.peakMiB).slice(0, 5)) console.log(`    ${x.run.peakMiB.toFixed(0)} MiB  ${desc(x)}`);
  const failures = results.filter((x) => FAILING.includes(x.outcome));
  const inherited = failures.filter((x) => x.unmutated !== undefined && FAILING.includes(x.unmutated));
  if (inherited.length) console.log(`  ${inherited.length} of the ${failures.length} failing mutants fail the same way unmutated (${[...new Set(inherited.map((x) => `${x.seed.source}/${x.seed.rel} ${x.args[0]}`))].join(', ')})`);
  console.log(failures.length ? `  ${failures.length} failing mutants kept in ${path.relative(repoRoot, failDir)}/ (case.txt in each says how to reproduce)` : '  no failing mutant');
  return failures.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`mutate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
