/**
 * A memo of results by string key: at most `maxEntries` keys of at most `maxLength` characters; when full, it
 * starts again (what the router keeps per document text: token counts, Apollo Server's hashes and negotiations).
 */
export class StringMemo<T> {
  private readonly results = new Map<string, T>();

  constructor(
    private readonly maxEntries: number,
    readonly maxLength: number,
  ) {}

  /** `compute(key)`, from the memo when `key` was seen lately; a key longer than `maxLength` is never kept. */
  of(key: string, compute: (key: string) => T): T {
    if (key.length > this.maxLength) return compute(key);
    if (this.results.has(key)) return this.results.get(key) as T;
    const result = compute(key);
    if (this.results.size >= this.maxEntries) this.results.clear();
    // An exact copy: a key sliced from a larger string (a request's body or URL) would otherwise keep it alive.
    this.results.set(JSON.parse(JSON.stringify(key)) as string, result);
    return result;
  }

  /** Keys held now (for tests). */
  get size(): number {
    return this.results.size;
  }
}
