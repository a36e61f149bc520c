/**
 * A tensor's statistics as the table shows them (min, max, mean, std, NaN/Inf, zeros %) and the flags that mark
 * a suspicious tensor, so a broken layer is one filter away (`flag:nan`, `flag:>0`):
 *   nan / inf    holds NaN or ±Inf
 *   zeros        every element is 0 (an initialised-but-never-loaded or zeroed-out tensor)
 *   dead         floating point, more than one element, all equal (std 0) but not all zero
 *   exploding    floating point, some |value| > 1e4
 */
import type { TensorStats } from '../core/model';
import { dtypeInfo } from '../core/dtype';

export type StatFlag = 'nan' | 'inf' | 'zeros' | 'dead' | 'exploding';

/** the |value| above which a floating-point tensor is flagged as exploding */
export const EXPLODING_ABS = 1e4;

/** TensorStats' figures less the histogram and counts, plus what the table adds */
export interface RowStats extends Pick<TensorStats, 'min' | 'max' | 'mean' | 'std' | 'nan' | 'inf'> {
  /** share of elements equal to 0, in percent */
  zerosPct: number;
  flags: StatFlag[];
}

export const FLAG_WORDS: Record<StatFlag, string> = {
  nan: 'holds NaN', inf: 'holds ±Inf', zeros: 'all zeros', dead: `constant (std 0)`, exploding: `|value| > ${EXPLODING_ABS.toExponential(0).replace('+', '')}`,
};

function floating(dtype: string): boolean {
  try { const k = dtypeInfo(dtype as Parameters<typeof dtypeInfo>[0]).kind; return k === 'float' || k === 'complex'; } catch { return false; }
}

export function rowStatsOf(s: TensorStats, dtype: string): RowStats {
  const flags: StatFlag[] = [];
  if (s.nan > 0) flags.push('nan');
  if (s.inf > 0) flags.push('inf');
  const allZero = s.count > 0 && s.zeros === s.count;
  if (allZero) flags.push('zeros');
  const isFloat = floating(dtype);
  if (isFloat && !allZero && s.count > 1 && s.std === 0 && s.nan === 0 && s.inf === 0) flags.push('dead');
  if (isFloat && ((s.max !== null && Math.abs(s.max) > EXPLODING_ABS) || (s.min !== null && Math.abs(s.min) > EXPLODING_ABS))) flags.push('exploding');
  return {
    min: s.min, max: s.max, mean: s.mean, std: s.std, nan: s.nan, inf: s.inf,
    zerosPct: s.count > 0 ? (100 * s.zeros) / s.count : 0,
    flags,
  };
}

/** A statistic in a table cell: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function formatStat(v: number | null): string {
  if (v === null) return '';
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}
