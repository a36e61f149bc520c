/**
 * The first name given twice in a list, without a set of every name: a set of a million tensor names costs
 * tens of MiB and seconds of hashing at open. Here each name's 32-bit hash is packed with its index into
 * one float64 array, sorted, and only equal hashes are compared by name.
 */
function hash32(s: string): number {
  // FNV-1a over UTF-16 code units
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** index bits packed under the hash: float64 holds 53 bits exactly */
const INDEX_BITS = 21;

export function firstDuplicate(count: number, nameAt: (i: number) => string): string | undefined {
  if (count >= 2 ** INDEX_BITS) {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const n = nameAt(i);
      if (seen.has(n)) return n;
      seen.add(n);
    }
    return undefined;
  }
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = hash32(nameAt(i)) * 2 ** INDEX_BITS + i;
  keys.sort();
  let found: number | undefined;
  for (let i = 1; i < count; i++) {
    const h = Math.floor(keys[i] / 2 ** INDEX_BITS);
    // every earlier index of the same hash, compared by name
    for (let j = i - 1; j >= 0 && Math.floor(keys[j] / 2 ** INDEX_BITS) === h; j--) {
      const a = keys[i] % 2 ** INDEX_BITS;
      const b = keys[j] % 2 ** INDEX_BITS;
      if (nameAt(a) === nameAt(b)) {
        const later = Math.max(a, b);
        if (found === undefined || later < found) found = later;
      }
    }
  }
  return found === undefined ? undefined : nameAt(found);
}
