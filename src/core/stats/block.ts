/**
 * Raw block → numbers for the statistics kernel, shared by the main thread and the workers.
 * A `StatsJob` is plain data (crosses to workers by structured clone).
 */
import type { DTypeName } from '../dtype';
import type { QuantInfo } from '../model';
import { decodeNumeric, dequantizeInto, type NumericArray } from '../decode';

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
  const out = values instanceof Float64Array && values.buffer !== bytes.buffer ? values : Float64Array.from(values);
  dequantizeInto(out, out, job.quant, job.shape, first);
  return out;
}
