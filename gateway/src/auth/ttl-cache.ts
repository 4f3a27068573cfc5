// What the authenticator looked up recently (API keys, projects named by JWTs), kept for a few
// seconds so the hot path does not ask PostgreSQL on every request. Bounded: cleared when full.
// Requests for a key being looked up share that lookup (when an entry expires under load, one
// query goes out, not one per request).

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * The cached value of `key`, else what `load` answers (cached for ttlMs; never when ttlMs is 0),
   * else what a load already under way answers. `beforeLoad` runs only when a load starts, and may
   * throw to start none.
   */
  async get(key: string, load: () => Promise<V>, beforeLoad?: () => void): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    beforeLoad?.();
    const loaded = load()
      .then((value) => {
        if (this.ttlMs > 0) {
          if (this.entries.size >= this.maxEntries) this.entries.clear();
          this.entries.set(key, { value, until: this.now() + this.ttlMs });
        }
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loaded);
    return loaded;
  }
}
