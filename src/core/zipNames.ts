/**
 * Questions about a zip's member names for content detection, answered without a JavaScript callback per
 * name. A torch.save archive has one member per storage (thousands), and detection asks several
 * questions of every name list; here the names are joined once into one string, `\n` around each, and
 * every question is one native string or regular-expression scan of it.
 *
 *   NameIndex.of(names)            the index of a name list (kept per array, so each list is joined once)
 *     .has(name)                   a member is called exactly `name`
 *     .hasPrefix(prefix)           some member's name starts with `prefix`
 *     .firstMatch(re)              the first name `re` matches as a whole, with its groups (names in order);
 *                                  `re` describes one whole name, without anchors, and must not match a
 *                                  `\n` (write `[^/\n]`, not `[^/]`)
 *     .topPrefix(marker)           the archive's top folder as torch.save writes it (see zipPrefix)
 *
 * A name holding a `\n` (only a hostile archive has one) would blur the lines: such lists are answered
 * name by name instead.
 */
const cache = new WeakMap<readonly string[], NameIndex>();

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export class NameIndex {
  /** `\n` + names joined by `\n` + `\n`; undefined when a name holds a `\n` */
  private readonly joined: string | undefined;

  private constructor(private readonly names: readonly string[]) {
    const joined = `\n${names.join('\n')}\n`;
    // exactly one more separator than names, or some name holds a newline of its own
    const newlines = joined.length - joined.replaceAll('\n', '').length;
    this.joined = newlines === names.length + 1 ? joined : undefined;
  }

  static of(names: readonly string[]): NameIndex {
    let index = cache.get(names);
    if (!index) {
      index = new NameIndex(names);
      cache.set(names, index);
    }
    return index;
  }

  has(name: string): boolean {
    if (this.joined === undefined) return this.names.includes(name);
    return !name.includes('\n') && this.joined.includes(`\n${name}\n`);
  }

  hasPrefix(prefix: string): boolean {
    if (this.joined === undefined) return this.names.some((n) => n.startsWith(prefix));
    return !prefix.includes('\n') && this.joined.includes(`\n${prefix}`);
  }

  firstMatch(re: RegExp): RegExpExecArray | null {
    if (this.joined === undefined) {
      const whole = new RegExp(`^(?:${re.source})$`, re.flags.replace(/[gmy]/g, ''));
      for (const n of this.names) {
        const m = whole.exec(n);
        if (m) return m;
      }
      return null;
    }
    const line = new RegExp(`\\n(?:${re.source})(?=\\n)`, re.flags.replace(/[gmy]/g, ''));
    const m = line.exec(this.joined);
    if (!m) return null;
    m[0] = m[0].slice(1);
    return m;
  }

  /**
   * The top folder of a torch zip archive found from its `marker` member (`data.pkl`): '' when the
   * marker is at the root, else the shortest `folder/` holding it directly (the first of equal ones).
   */
  topPrefix(marker: string): string | undefined {
    if (this.joined === undefined) {
      let best: string | undefined;
      for (const n of this.names) {
        if (n === marker) return '';
        if (n.endsWith(`/${marker}`)) {
          const p = n.slice(0, n.length - marker.length);
          if (p.split('/').length === 2 && (best === undefined || p.length < best.length)) best = p;
        }
      }
      return best;
    }
    if (this.has(marker)) return '';
    const re = new RegExp(`\\n([^/\\n]*/)${escape(marker)}(?=\\n)`, 'g');
    let best: string | undefined;
    for (let m = re.exec(this.joined); m; m = re.exec(this.joined)) {
      if (best === undefined || m[1].length < best.length) best = m[1];
    }
    return best;
  }
}
