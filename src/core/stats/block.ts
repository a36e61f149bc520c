/**
 * Raw block → numbers for the statistics kernel, shared by the main thread and the workers.
 * A `StatsJob` is plain data (crosses to workers by structured clone).
 */
import type { DTypeName } from '../dtype';
import type { QuantInfo } from '../model';
import { decodeNumeric, type NumericArray } from '../decode';

export interface StatsJob {
  dtype: DTypeName;
  byteOrder: 'little' | 'big';
  shape: number[];
  quant?: QuantInfo;
}

/** Decode a raw block (`first` = row-major index of its first element); quantized values are dequantized. */
export function numericBlock(job: StatsJob, bytes: Uint8Array, first: number): NumericArray | null {
  const values = decodeNumeric(job.dtype, bytes, job.byteOrder);
  if (!values || !job.quant) return values;
  const q = job.quant;
  const out = values instanceof Float64Array && values.buffer !== bytes.buffer ? values : Float64Array.from(values);
  if (q.scales && q.axis !== undefined && q.axis >= 0 && q.axis < job.shape.length) {
    let inner = 1;
    for (let d = q.axis + 1; d < job.shape.length; d++) inner *= job.shape[d];
    const channels = job.shape[q.axis];
    const zps = q.zeroPoints ?? [];
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor((first + i) / inner) % channels;
      out[i] = (out[i] - (zps[c] ?? 0)) * (q.scales[c] ?? 1);
    }
  } else if (q.scale !== undefined) {
    const z = q.zeroPoint ?? 0;
    const s = q.scale;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] - z) * s;
  }
  return out;
}
