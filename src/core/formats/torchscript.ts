/**
 * TorchScript archives (`torch.jit.save`): `<top>/data.pkl` (the module object tree, tensors under
 * `<top>/data/`), `<top>/constants.pkl` (tensors under `<top>/constants/`), `code/`, `version`.
 * Mobile / lite archives (`.ptl`) add `bytecode.pkl` (read through data.pkl). tch-rs `.ot` files are
 * TorchScript archives of a module whose attributes are the variable names with `.` written as `|`;
 * names are given their dots back.
 *
 * Tensor names: attribute names through the scripted module objects (as `state_dict()` names them);
 * packed params of TorchScript custom classes (`__torch__.torch.classes.*`) are not listed, as torch's
 * state_dict does not list them. constants.pkl tensors are counted in `meta`, not listed.
 */
import type { Checkpoint, FormatReader, OpenOptions } from '../model';
import { UnreadableError } from '../model';
import { ZipArchive, looksLikeZip, readZipFile } from '../zip';
import { NameIndex } from '../zipNames';
import { nameTensors, pickleWarnings, unlistedStorages } from '../naming';
import { loadZipPickle, zipMeta, zipPrefix } from './torchZip';
import { PyObject, PyDict, type PyValue } from '../pickle/values';
import { TorchTensor, type TorchStorage } from '../pickle/torch';
import { errorMessage } from '../errors';

interface ModuleDecl { params: string[]; buffers: string[] }

/** `class X(Module):` declarations in `code/**.py`: their `__parameters__` and `__buffers__` lists. */
async function moduleDecls(zip: ZipArchive, prefix: string): Promise<Map<string, ModuleDecl>> {
  const decls = new Map<string, ModuleDecl>();
  const codeDir = `${prefix}code/`;
  let budget = 64 << 20; // read at most this much source
  for (const e of zip.entries) {
    if (!e.name.startsWith(codeDir) || !e.name.endsWith('.py') || e.size > budget) continue;
    budget -= e.size;
    const text = Buffer.from(await zip.readEntry(e)).toString('utf8');
    const mod = e.name.slice(codeDir.length, -3).split('/').join('.');
    const re = /^class (\w+)\(Module\):\n((?:  .*\n|\n)*?)(?=^\S|(?![\s\S]))/gm;
    for (const m of text.matchAll(re)) {
      const body = m[2];
      const list = (key: string): string[] => {
        const lm = new RegExp(`^  ${key} = \\[([^\\]]*)\\]`, 'm').exec(body);
        return lm ? [...lm[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]) : [];
      };
      decls.set(`${mod}.${m[1]}`, { params: list('__parameters__'), buffers: list('__buffers__') });
    }
  }
  return decls;
}

/** Give scripted module objects the `_parameters` / `_buffers` / `_modules` shape naming knows. */
function shapeModules(root: PyValue, decls: Map<string, ModuleDecl>): void {
  if (decls.size === 0) return;
  const seen = new Set<object>();
  const stack: PyValue[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (!(v instanceof PyObject) || seen.has(v)) continue;
    seen.add(v);
    const decl = decls.get(v.className);
    const attrs = v.attributes();
    if (!decl || !attrs || attrs.has('_parameters')) continue;
    const params = new PyDict('collections.OrderedDict');
    const buffers = new PyDict('collections.OrderedDict');
    const modules = new PyDict('collections.OrderedDict');
    const state = new PyDict();
    for (const [k, val] of attrs.entries()) {
      const key = String(k);
      if (decl.params.includes(key)) {
        params.set(key, val);
        // a declared parameter is one whatever its requires_grad (torch's parameters() lists it)
        if (val instanceof TorchTensor) val.isParameter = true;
      }
      else if (decl.buffers.includes(key)) buffers.set(key, val);
      else if (val instanceof PyObject && decls.has(val.className)) { modules.set(key, val); stack.push(val); }
      else state.set(key, val);
    }
    state.set('_parameters', params);
    state.set('_buffers', buffers);
    state.set('_modules', modules);
    v.state = state;
  }
}

/** Drop the state of custom-class objects (packed params) so naming does not list their tensors. */
function stripCustomClassState(root: PyValue): void {
  const seen = new Set<object>();
  const stack: PyValue[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || v === undefined || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof PyObject) {
      if (/^__torch__\.torch\.classes\./.test(v.className)) {
        v.state = undefined;
        continue;
      }
      const attrs = v.attributes();
      if (attrs) for (const x of attrs.values) stack.push(x);
    } else if (v instanceof PyDict) {
      for (const x of v.values) stack.push(x);
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    }
  }
}

function clearRequiresGrad(root: PyValue): void {
  const seen = new Set<object>();
  const stack: PyValue[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof TorchTensor) {
      if (v.requiresGrad) v.isParameter = true;
      v.requiresGrad = false;
      continue;
    }
    if (v === null || v === undefined || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const kids = v instanceof PyObject ? v.attributes()?.values : v instanceof PyDict ? v.values : Array.isArray(v) ? v : undefined;
    if (kids) for (const x of kids) stack.push(x);
  }
}

export async function openTorchScript(path: string, options?: OpenOptions): Promise<Checkpoint> {
  return readZipFile(path, async (zip) => {
    const names = zip.names;
    const prefix = zipPrefix(names) ?? zipPrefix(names, 'constants.pkl');
    if (prefix === undefined) throw new UnreadableError('TorchScript archive without data.pkl');
    const meta = await zipMeta(zip, prefix);
    meta.kind = zip.get(`${prefix}bytecode.pkl`) ? 'TorchScript (mobile / lite interpreter)' : 'TorchScript';
    const byteOrder = meta.byteorder === 'big' ? 'big' : 'little';
    const warnings: string[] = [];
    let root: PyValue = null;
    let globals: Checkpoint['globals'] = [];
    let storages: TorchStorage[] = [];
    if (zip.get(`${prefix}data.pkl`)) {
      const { result, missing, storages: made } = await loadZipPickle(zip, `${prefix}data.pkl`, `${prefix}data/`, byteOrder, `${prefix}data.pkl`);
      root = result.value;
      globals = result.globals;
      storages = made;
      if (missing.length) warnings.push(`${missing.length} tensor storages are missing from the archive`);
    }
    if (zip.get(`${prefix}constants.pkl`)) {
      try {
        const c = await loadZipPickle(zip, `${prefix}constants.pkl`, `${prefix}constants/`, byteOrder, `${prefix}constants.pkl`);
        const stack: PyValue[] = [c.result.value];
        let n = 0;
        const seen = new Set<object>();
        while (stack.length && n < 1e6) {
          const v = stack.pop();
          if (v instanceof TorchTensor) { n++; continue; }
          if (v && typeof v === 'object' && !seen.has(v)) {
            seen.add(v);
            const kids = Array.isArray(v) ? v : 'items' in v && Array.isArray((v as { items: unknown }).items) ? (v as { items: PyValue[] }).items : [];
            for (const x of kids) stack.push(x);
          }
        }
        meta['constant tensors'] = String(n);
      } catch (err) {
        warnings.push(`constants.pkl could not be read: ${errorMessage(err)}`);
      }
    }
    stripCustomClassState(root);
    shapeModules(root, await moduleDecls(zip, prefix));
    // state_dict() semantics: tensors come back detached
    clearRequiresGrad(root);
    const named = nameTensors(root);
    // tch-rs (`VarStore::save`, `.ot`) registers `a.b` as attribute `a|b`: give the names back their dots
    if (named.tensors.some((t) => t.name.includes('|'))) {
      for (const t of named.tensors) {
        t.name = t.name.replace(/\|/g, '.');
        if (t.sparse) for (const k of Object.keys(t.sparse.components)) t.sparse.components[k] = t.sparse.components[k].replace(/\|/g, '.');
      }
      meta.names = "tch-rs style ('|' read as '.')";
    }
    const unlisted = unlistedStorages(storages, named.tensors);
    if (unlisted) warnings.push(unlisted);
    if (named.warning) warnings.push(named.warning);
    const rootClass = root instanceof PyObject ? root.className : undefined;
    if (rootClass) meta['module class'] = rootClass;
    return {
      path, format: 'torchscript', tensors: named.tensors, content: named.content,
      warnings: [...pickleWarnings(named.tensors, []), ...warnings],
      globals, producer: 'pytorch (torch.jit.save)', meta,
      close: () => zip.close(),
    };
  }, options);
}

export const torchscriptReader: FormatReader = {
  format: 'torchscript',
  detect(head, _path, entries) {
    if (!looksLikeZip(head) || entries.length === 0) return false;
    const names = NameIndex.of(entries);
    const prefix = names.topPrefix('data.pkl') ?? names.topPrefix('constants.pkl');
    if (prefix === undefined) return false;
    return names.has(`${prefix}constants.pkl`) || names.hasPrefix(`${prefix}code/`) || names.has(`${prefix}bytecode.pkl`);
  },
  open: openTorchScript,
};
