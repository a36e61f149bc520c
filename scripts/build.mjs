// Bundles the extension host code, the CLI, the workers and the webview into dist/ with esbuild.
// Entries whose source does not exist yet are skipped, so the build works while parts are being written.
import { build } from 'esbuild';
import { existsSync, mkdirSync, cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import './gen-debug-helper.mjs'; // embeds the debugger helper (.py) as a TS string before bundling
import { buildPythonPath } from './build-pythonpath.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** node-side bundles: [source, output name] */
const nodeEntries = [
  ['src/extension/extension.ts', 'extension'],
  ['src/cli.ts', 'cliMain'], // the CLI; dist/cli.js is its loader (V8 code cache)
  ['src/cliLoader.ts', 'cli'],
  ['bench/compute-bench.ts', 'computeBench'],
  ['src/core/stats/statsWorker.ts', 'statsWorker'],
];
/** browser-side bundles (the webview) */
const webEntries = [
  ['webview/main.ts', 'webview'],
  ['webview/graph/main.ts', 'graph'],
  ['webview/compare/main.ts', 'compare'],
];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

mkdirSync(path.join(root, 'dist'), { recursive: true });
const jobs = [];
const nodeIn = Object.fromEntries(nodeEntries.filter(([src]) => existsSync(path.join(root, src))).map(([src, out]) => [out, src]));
if (Object.keys(nodeIn).length) {
  jobs.push(build({
    ...common,
    entryPoints: nodeIn,
    outdir: 'dist',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'onnxruntime-node'],
  }));
}
const webIn = Object.fromEntries(webEntries.filter(([src]) => existsSync(path.join(root, src))).map(([src, out]) => [out, src]));
if (Object.keys(webIn).length) {
  jobs.push(build({
    ...common,
    entryPoints: webIn,
    outdir: 'dist',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    loader: { '.css': 'text' },
  }));
}
await Promise.all(jobs);
buildPythonPath(); // dist/pythonpath: the pydevd plugin put on debuggees' PYTHONPATH
// the shape tracer runs as a script of its own, next to the bundles that start it
if (existsSync(path.join(root, 'src/debug/python/tensorscope_trace.py'))) cpSync(path.join(root, 'src/debug/python/tensorscope_trace.py'), path.join(root, 'dist/tensorscope_trace.py'));
if (existsSync(path.join(root, 'webview/style.css'))) cpSync(path.join(root, 'webview/style.css'), path.join(root, 'dist/webview.css'));
console.log('built dist/');
