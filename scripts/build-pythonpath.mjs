// Lays out dist/pythonpath/, the folder the extension puts on a debuggee's PYTHONPATH: pydevd's plugin
// namespace (pydevd_plugins/extensions/) holding Tensorscope's presentation plugin. Run by scripts/build.mjs.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src/debug/python');
/** Writes the folder (default dist/pythonpath); returns its path. */
export function buildPythonPath(out = path.join(root, 'dist/pythonpath')) {
  const plugin = path.join(src, 'pydevd_plugin_tensorscope.py');
  if (!existsSync(plugin)) return out;
  rmSync(out, { recursive: true, force: true });
  const ext = path.join(out, 'pydevd_plugins', 'extensions');
  mkdirSync(ext, { recursive: true });
  const init = path.join(src, 'pydevd_namespace_init.py');
  copyFileSync(init, path.join(out, 'pydevd_plugins', '__init__.py'));
  copyFileSync(init, path.join(ext, '__init__.py'));
  copyFileSync(plugin, path.join(ext, 'pydevd_plugin_tensorscope.py'));
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildPythonPath();
