/** Byte sizes as people read them, in one unit system everywhere (IEC: 1 KiB = 1024 B, as torch and `ls -h` count). */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `512 B`, `1.50 KiB`, `12.3 MiB`, `456 GiB`: three significant digits above 1 KiB. */
export function formatBytes(n: number): string {
  if (!(Math.abs(n) >= 1024)) return `${n} B`;
  let v = n / 1024;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  const a = Math.abs(v);
  return `${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}
