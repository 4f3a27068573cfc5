// Resolved versions by (prompt, selector). A numbered version's content is immutable and never goes
// stale; aliases and "latest" are invalidated when the matching events arrive (prompt.alias.moved.v1,
// prompt.version.created.v1), so a moved alias is not served stale once its event is consumed.
// The one thing about a version that changes, its `archived` flag, has no event: the replica that
// archives drops its entries, and a cached version's flag is read again from the store when asked
// for (PromptService.isArchived), so other replicas never answer it stale.
import type { PromptVersion, VersionSelector } from './model';

const keyOf = (promptName: string, s: VersionSelector) =>
  `${promptName}\u0000${s.kind === 'number' ? `#${s.number}` : s.kind === 'latest' ? 'latest' : `@${s.alias}`}`;

export class VersionCache {
  private readonly entries = new Map<string, PromptVersion>();
  /** Every version object this cache has handed out (its `archived` may be stale). */
  private readonly cached = new WeakSet<PromptVersion>();
  /** Bumped on every invalidation, so a read that raced an invalidation is not cached. */
  private epoch = 0;
  private enabled: boolean;
  hits = 0;
  misses = 0;

  /**
   * Starts disabled when `startEnabled` is false: nothing is cached until events are being received.
   * A `maxEntries` of 0 turns caching off.
   */
  constructor(private readonly maxEntries = 10_000, startEnabled = true) {
    this.enabled = startEnabled;
  }

  /** While the invalidation events cannot be trusted to arrive, nothing is cached. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.epoch++;
    if (!enabled) this.entries.clear();
  }

  get(promptName: string, selector: VersionSelector): PromptVersion | undefined {
    if (!this.enabled) return undefined;
    const v = this.entries.get(keyOf(promptName, selector));
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  /** Taken before reading the store; `set` ignores a value read before a later invalidation. */
  token(): number {
    return this.epoch;
  }

  set(promptName: string, selector: VersionSelector, version: PromptVersion, token: number): void {
    if (!this.enabled || token !== this.epoch || this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(keyOf(promptName, selector), version);
    this.cached.add(version);
  }

  /** Whether `version` is (or was) a cached object, so that its mutable fields may be stale. */
  holds(version: PromptVersion): boolean {
    return this.cached.has(version);
  }

  invalidate(promptName: string, selector: VersionSelector): void {
    this.epoch++;
    this.entries.delete(keyOf(promptName, selector));
  }

  get size(): number {
    return this.entries.size;
  }
}
