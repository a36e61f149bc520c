/**
 * The webview's window onto the host's table: pages of items fetched on demand and kept in a small LRU, so
 * 100,000 rows never sit in the webview at once. Pure (no DOM), tested in node.
 */
export class PageCache<T> {
  private pages = new Map<number, T[]>();
  private pending = new Set<number>();
  total: number | null = null;
  /** tensors matching the query (the host's count; groups are not tensors) */
  matched: number | null = null;
  /** bumps on every reset; replies for an older version are ignored */
  version = 0;

  constructor(readonly pageSize: number, readonly maxPages = 24) {}

  reset(): void {
    this.pages.clear();
    this.pending.clear();
    this.total = null;
    this.matched = null;
    this.version++;
  }

  get(index: number): T | undefined {
    const p = Math.floor(index / this.pageSize);
    const page = this.pages.get(p);
    if (!page) return undefined;
    // touch (LRU order = Map insertion order)
    this.pages.delete(p);
    this.pages.set(p, page);
    return page[index - p * this.pageSize];
  }

  /** pages covering [first, last] that are neither loaded nor requested; marks them requested */
  claimMissing(first: number, last: number): number[] {
    const out: number[] = [];
    const lo = Math.max(0, Math.floor(first / this.pageSize));
    const hiIndex = this.total === null ? last : Math.min(last, this.total - 1);
    const hi = Math.floor(Math.max(hiIndex, 0) / this.pageSize);
    if (this.total === 0) return out;
    for (let p = lo; p <= hi; p++) {
      if (!this.pages.has(p) && !this.pending.has(p)) {
        this.pending.add(p);
        out.push(p);
      }
    }
    return out;
  }

  /** store a page reply; false when it belongs to an older version */
  put(version: number, start: number, items: T[], total: number): boolean {
    if (version !== this.version) return false;
    const p = Math.floor(start / this.pageSize);
    this.pending.delete(p);
    this.total = total;
    this.pages.set(p, items);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
    return true;
  }

  /** a request failed or was dropped: allow asking again */
  release(version: number, page: number): void {
    if (version === this.version) this.pending.delete(page);
  }

  get loadedPages(): number {
    return this.pages.size;
  }

  /** find an item already loaded (for keeping the selection after a reload) */
  findLoaded(pred: (item: T) => boolean): number {
    for (const [p, items] of this.pages) {
      const i = items.findIndex(pred);
      if (i >= 0) return p * this.pageSize + i;
    }
    return -1;
  }
}
