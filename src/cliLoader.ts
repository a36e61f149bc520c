#!/usr/bin/env node
/**
 * `dist/cli.js`: a small loader for the CLI bundle (`dist/cliMain.js`, built from src/cli.ts).
 *
 * A CLI run is short, so compiling the 600 KB bundle is a real part of it. The loader compiles the
 * bundle with a V8 code cache kept per user (`$XDG_CACHE_HOME/tensorscope` or `~/.cache/tensorscope`,
 * mode 0700), written once after a run and keyed by the bundle's size and modification time, the Node
 * version and the V8 flags (older builds' files are removed then); V8 itself also checks the cache against
 * the source and rejects a stale one, which then only means a normal compile. No hashing of the bundle:
 * loading node:crypto alone would cost a CLI run about 5 ms. Set TENSORSCOPE_NO_CODE_CACHE=1 to skip it.
 *
 * `inspect` without `--stats` is one short pass over a pickle: V8's optimizing compiler would spend
 * more time compiling (and re-compiling after deopts) the pickle machine than it saves, so that run
 * tiers up later (`--interrupt-budget`, on Node 20's V8); a huge pickle still gets optimized code. Not for `--stats`,
 * whose worker loops need early tier-up. The flag is set before the bundle is compiled (V8 keys code
 * caches by its flags, so each variant has its own cache file).
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

type Main = (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void;

function cacheDir(): string | undefined {
  if (process.env.TENSORSCOPE_NO_CODE_CACHE) return undefined;
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  const dir = path.join(base, 'tensorscope');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

function load(): void {
  const argv = process.argv.slice(2);
  const listing = argv[0] === 'inspect' && !argv.includes('--stats');
  // V8 11 (Node 20) only: later V8s tier up differently (Maglev) and do not know the flag (setting an
  // unknown flag prints an error)
  const oldTiering = Number(process.versions.v8.split('.')[0]) <= 11;
  const flags = listing && oldTiering ? '--interrupt-budget=16777216' : '';
  if (flags) setFlagsFromString(flags);

  const file = path.join(__dirname, 'cliMain.js');
  const source = readFileSync(file, 'utf8');
  const dir = cacheDir();
  let key = '';
  if (dir) {
    const st = statSync(file);
    key = `${process.version}-${process.arch}-${st.size}-${Math.round(st.mtimeMs * 1000)}${flags ? '-budget' : ''}`.replace(/[^\w.-]/g, '_');
  }
  const cacheFile = dir && path.join(dir, `cli-${listing ? 'list' : 'std'}-${key}.v8cache`);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try { cachedData = readFileSync(cacheFile); } catch { cachedData = undefined; }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  if (dir && cacheFile && (!cachedData || script.cachedDataRejected)) {
    // after the run, so the cache holds the functions this command compiled lazily
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile);
        // caches of older builds of this variant are stale now
        const prefix = `cli-${listing ? 'list' : 'std'}-`;
        for (const f of readdirSync(dir)) {
          if (f.startsWith(prefix) && f.endsWith('.v8cache') && path.join(dir, f) !== cacheFile) rmSync(path.join(dir, f), { force: true });
        }
      } catch {
        // no cache this time
      }
    });
  }
  const main = script.runInThisContext() as Main;
  const mod = { exports: {} };
  main(mod.exports, require, mod, file, __dirname);
}

load();
