/**
 * Load a `.npy` file whole into a compute tensor (C or Fortran order; a Fortran-order array becomes the
 * view torch.from_numpy would give: same data, column-major strides).
 */
import { readFile } from 'node:fs/promises';
import { decodeNatural } from '../core/decode';
import { parseNumpyDescr } from '../core/dtype';
import { numelOf } from '../core/layout';
import type { Dense } from './dense';

export function decodeNpy(buf: Uint8Array, label = 'npy'): Dense {
  if (buf.length < 10 || buf[0] !== 0x93 || String.fromCharCode(...buf.subarray(1, 6)) !== 'NUMPY') throw new Error(`${label}: not a .npy file`);
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(buf.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`${label}: unreadable .npy header`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const dt = parseNumpyDescr(descr);
  if (dt.dtype === 'unknown' || dt.dtype === 'object') throw new Error(`${label}: dtype ${descr} has no numeric elements`);
  const n = numelOf(shape);
  const start = hstart + hlen;
  const bytes = buf.subarray(start, start + n * dt.itemSize);
  if (bytes.length < n * dt.itemSize) throw new Error(`${label}: truncated (${bytes.length} of ${n * dt.itemSize} data bytes)`);
  const data = decodeNatural(dt.dtype, bytes, dt.byteOrder === 'big' ? 'big' : 'little');
  if (!fortran || shape.length < 2) return { dtype: dt.dtype, shape, data };
  const stride: number[] = [];
  let s = 1;
  for (const d of shape) { stride.push(s); s *= d; }
  return { dtype: dt.dtype, shape, data, stride, offset: 0 };
}

export async function loadNpy(path: string): Promise<Dense> {
  return decodeNpy(new Uint8Array(await readFile(path)), path);
}
