// `tensorscope inspect`: the JSON contract of ../shared/corpus/NAMING.md, the table, and the one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aboutSubject } from '../../src/core/errors';

const repoRoot = path.resolve(__dirname, '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'torch2.11');
const noCorpus = !existsSync(corpus) && 'corpus absent';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'inspect', ...args], {
    cwd: repoRoot, encoding: 'utf8', timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('inspect --json follows the contract', { skip: noCorpus }, () => {
  const r = cli(path.join(corpus, 'views.pt'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { format: string; tensors: Array<Record<string, unknown>>; warnings: string[] };
  assert.equal(out.format, 'torch-zip');
  assert.ok(Array.isArray(out.warnings));
  const t = out.tensors.find((x) => x.name === 'sliced') as Record<string, unknown>;
  for (const k of ['name', 'dtype', 'shape', 'stride', 'storageOffset', 'contiguous', 'device', 'requiresGrad', 'layout', 'storage']) {
    assert.ok(k in t, `missing ${k}`);
  }
  assert.deepEqual(t.stride, [12, 3]);
  assert.equal(t.storageOffset, 24);
  assert.deepEqual(t.storage, { key: 'data/0', bytes: 480 });
});

test('inspect --json --stats adds stats', { skip: noCorpus }, () => {
  const r = cli(path.join(corpus, 'views.pt'), '--json', '--stats');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tensors: Array<{ name: string; stats: { min: number; max: number } | null }> };
  const base = out.tensors.find((x) => x.name === 'base');
  assert.equal(base?.stats?.min, 0);
  assert.equal(base?.stats?.max, 119);
});

test('the table lists every tensor and the warnings', { skip: noCorpus }, () => {
  const r = cli(path.join(corpus, 'dataparallel.pth'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /torch-zip/);
  assert.match(r.stdout, /module\./);
  assert.match(r.stdout, /warning: .*'module\.' prefix/);
});

test('broken files: exit 1 and exactly one line "error: PATH: reason"', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-cli-'));
  try {
    const files: Record<string, Buffer> = {
      'empty.pt': Buffer.alloc(0),
      'random.pth': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)),
      'truncated.pt': Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(300, 1)]),
      'pickle.pt': Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00]), // a pickle cut short
      'plain.pkl': Buffer.from('\x80\x02garbage', 'latin1'), // a plain pickle, whose reader labels errors by path
    };
    for (const [name, data] of Object.entries(files)) {
      const p = path.join(dir, name);
      writeFileSync(p, data);
      const r = cli(p, '--json');
      assert.notEqual(r.code, 0, name);
      assert.equal(r.stdout, '', name);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.ok(lines[0].startsWith(`error: ${p}: `), lines[0]);
      assert.equal(lines[0].split(p).length, 2, `the path is named once: ${lines[0]}`);
    }
    const missing = cli(path.join(dir, 'nope.pt'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*nope\.pt: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stats and diff of a broken file name it once; diff of a missing file names it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ts-cli-'));
  try {
    const bad = path.join(dir, 'bad.pkl');
    writeFileSync(bad, Buffer.from('\x80\x02garbage', 'latin1'));
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), ...args], {
      cwd: repoRoot, encoding: 'utf8', timeout: 120_000,
    });
    for (const args of [['stats', bad], ['diff', bad, bad], ['inspect', bad]]) {
      const r = run(...args);
      assert.equal(r.status, 1, args.join(' '));
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${args[0]}: ${r.stderr}`);
      assert.ok(lines[0].startsWith(`error: ${bad}: `), lines[0]);
      assert.equal(lines[0].split(bad).length, 2, `${args[0]} names the path once: ${lines[0]}`);
    }
    const missing = run('diff', path.join(dir, 'nope.pt'), bad);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: .*nope\.pt: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aboutSubject names the subject once', () => {
  assert.equal(aboutSubject('/a/b.pkl', 'pickle is truncated'), '/a/b.pkl: pickle is truncated');
  assert.equal(aboutSubject('/a/b.pkl', '/a/b.pkl: pickle is truncated'), '/a/b.pkl: pickle is truncated');
  assert.equal(aboutSubject('/a/b.pkl', '/a/b.pkl.index.json: bad'), '/a/b.pkl: /a/b.pkl.index.json: bad');
});
