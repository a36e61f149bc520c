/**
 * `tensorscope inspect PATH [--json] [--stats]`: every tensor of a checkpoint.
 * Readable table by default; `--json` prints the contract of ../shared/corpus/NAMING.md. A broken file
 * exits 1 with exactly one line `error: PATH: reason` on stderr.
 */
import type { Checkpoint, JsonValue, TensorInfo } from '../core/model';
import { tensorRefsContent } from '../core/model';
import { openForCli } from './openForCli';
import type { statsJson } from '../core/stats/index';
import { ChunkedOut } from './output';
import { layoutKind } from '../core/layout';
import { parseSwitches } from './switches';
import { formatBytes } from '../core/units';
import { printError, terminalText } from './terminalText';

const USAGE = 'usage: tensorscope inspect PATH [--json] [--stats]\n';

function tensorJson(t: TensorInfo): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {
    name: t.name, dtype: t.dtype, shape: t.shape, stride: t.stride, storageOffset: t.storageOffset,
    contiguous: t.contiguous, device: t.device, requiresGrad: t.requiresGrad, layout: t.layout,
    storage: t.storage ? { key: t.storage.key, bytes: t.storage.bytes } : null,
  };
  if (t.memoryFormat !== 'contiguous') out.memoryFormat = t.memoryFormat;
  if (t.numpy) { out.numpy = true; out.numpyDtype = t.numpyDtype ?? t.dtype; }
  if (t.isParameter) out.isParameter = true;
  if (t.quant) {
    out.quantized = true;
    const q: { [k: string]: JsonValue } = { scheme: t.quant.scheme };
    if (t.quant.scale !== undefined) q.scale = t.quant.scale;
    if (t.quant.zeroPoint !== undefined) q.zeroPoint = t.quant.zeroPoint;
    if (t.quant.axis !== undefined) q.axis = t.quant.axis;
    out.quant = q;
  }
  if (t.sparse) out.sparse = { components: t.sparse.components, nnz: t.sparse.nnz ?? null };
  if (t.storage?.byteOrder === 'big') out.byteOrder = 'big';
  return out;
}

function fmtShape(s: number[]): string {
  return `[${s.join(', ')}]`;
}

function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(+v.toFixed(4));
}

function table(ck: Checkpoint, stats: Map<TensorInfo, ReturnType<typeof statsJson> | string> | undefined, out: ChunkedOut): void {
  const lines = { push: (line: string): void => out.add(`${line}\n`) };
  const storages = new Map<string, number>();
  for (const t of ck.tensors) if (t.storage) storages.set(t.storage.key, t.storage.bytes);
  const total = [...storages.values()].reduce((a, b) => a + b, 0);
  lines.push(terminalText(`${ck.path}: ${ck.format}${ck.producer ? ` (${ck.producer})` : ''}, ${ck.tensors.length} tensors, ${storages.size} storages, ${formatBytes(total)}`));
  for (const [k, v] of Object.entries(ck.meta)) lines.push(terminalText(`  ${k}: ${v}`));
  // two passes over the tensors, the cells made again in the second: a million rows held at once would
  // take hundreds of MiB
  const cells = (t: TensorInfo): string[] => {
    const notes: string[] = [];
    if (!t.contiguous && t.layout === 'strided') notes.push(`stride ${fmtShape(t.stride)}`);
    if (t.storageOffset) notes.push(`offset ${t.storageOffset}`);
    const kind = layoutKind(t.shape, t.stride, t.layout);
    if (kind !== 'contiguous') notes.push(kind);
    if (t.device !== 'cpu') notes.push(t.device);
    if (t.requiresGrad) notes.push('requires_grad');
    if (t.quant) notes.push(`quantized ${t.quant.scheme}`);
    if (t.numpy) notes.push(`numpy ${t.numpyDtype ?? ''}`.trim());
    if (t.storage) notes.push(`storage ${t.storage.key}`);
    const s = stats?.get(t);
    if (typeof s === 'string') notes.push(`stats: ${s}`);
    else if (s) notes.push(`min ${fmtNum(s.min)} max ${fmtNum(s.max)} mean ${fmtNum(s.mean)} std ${fmtNum(s.std)}${s.nan ? ` nan ${s.nan}` : ''}${s.inf ? ` inf ${s.inf}` : ''}`);
    return [t.name === '' ? '(root)' : t.name, t.dtype, fmtShape(t.shape), notes.join(', ')].map(terminalText);
  };
  let w0 = 4, w1 = 5, w2 = 5;
  for (const t of ck.tensors) {
    w0 = Math.max(w0, terminalText(t.name === '' ? '(root)' : t.name).length);
    w1 = Math.max(w1, t.dtype.length);
    w2 = Math.max(w2, fmtShape(t.shape).length);
  }
  w0 = Math.min(60, w0);
  w2 = Math.min(28, w2);
  lines.push('');
  lines.push(`${'name'.padEnd(w0)}  ${'dtype'.padEnd(w1)}  ${'shape'.padEnd(w2)}  notes`);
  for (const t of ck.tensors) {
    const r = cells(t);
    lines.push(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2].padEnd(w2)}  ${r[3]}`.trimEnd());
  }
  if (ck.warnings.length) {
    lines.push('');
    for (const w of ck.warnings) lines.push(terminalText(`warning: ${w}`));
  }
}

/**
 * `JSON.stringify(value)` into `out`, the top-level object member by member: the content of a file of a
 * million tensors is a million members, one string of them hundreds of MiB.
 */
function addContent(out: ChunkedOut, ck: Checkpoint): void {
  const extra = tensorRefsContent(ck);
  const members: Iterable<[string, JsonValue]> = extra
    ? (function* () {
      // a file of tensors only: the references written as `tensorRefs` would make them, without making them
      for (const t of ck.tensors) yield [t.name, { $tensor: t.name }];
      yield* Object.entries(extra);
    })()
    : ck.content && typeof ck.content === 'object' && !Array.isArray(ck.content) ? Object.entries(ck.content) : [];
  const value = ck.content;
  if (!extra && (!value || typeof value !== 'object' || Array.isArray(value))) { out.add(JSON.stringify(value)); return; }
  out.add('{');
  let first = true;
  for (const [k, v] of members) {
    out.add(`${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`);
    first = false;
  }
  out.add('}');
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseSwitches(args, ['--json', '--stats'], USAGE);
  if (typeof parsed === 'number') return parsed;
  const json = parsed.on.has('--json');
  const withStats = parsed.on.has('--stats');
  const paths = parsed.positional;
  if (paths.length !== 1) { process.stderr.write(USAGE); return 2; }
  const path = paths[0];
  const ck = await openForCli(path);
  if (!ck) return 1;
  try {
    let stats: Map<TensorInfo, ReturnType<typeof statsJson> | string> | undefined;
    if (withStats) {
      stats = new Map();
      const { computeStatsMany, statsJson } = await import('../core/stats/index');
      const results = await computeStatsMany(ck.tensors);
      ck.tensors.forEach((t, i) => {
        const r = results[i];
        stats?.set(t, r instanceof Error ? r.message.split('\n')[0] : statsJson(r, t.dtype));
      });
    }
    if (json) {
      // written in pieces: one string of a million tensors' JSON would take hundreds of MiB
      const out = new ChunkedOut();
      out.add(`${JSON.stringify({ format: ck.format, producer: ck.producer ?? null }).slice(0, -1)},"tensors":[`);
      ck.tensors.forEach((t, i) => {
        const j = tensorJson(t);
        if (stats) {
          const s = stats.get(t);
          j.stats = typeof s === 'string' ? { error: s } : (s ?? null);
        }
        out.add(i ? `,${JSON.stringify(j)}` : JSON.stringify(j));
      });
      const rest = {
        warnings: ck.warnings,
        globals: ck.globals.map((g) => ({ name: g.name, count: g.count, unsafe: g.unsafe })),
        meta: ck.meta,
      };
      out.add(`],${JSON.stringify(rest).slice(1, -1)},"content":`);
      addContent(out, ck);
      out.add('}\n');
      out.flush();
    } else {
      const out = new ChunkedOut();
      table(ck, stats, out);
      out.flush();
    }
    return 0;
  } catch (err) {
    printError(path, err);
    return 1;
  } finally {
    await ck.close().catch(() => undefined);
  }
}
