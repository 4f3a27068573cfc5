// Rate limits at the gateway, as token buckets refilled continuously, per gateway replica (with N
// replicas a key gets up to N times the rate):
// - requests per project, once the caller is known (GATEWAY_RATE_LIMIT_*);
// - failed authentications per client address (GATEWAY_AUTH_FAILURES_*): an address that keeps
//   sending keys that do not exist is refused before its next key is looked up in PostgreSQL.
import { RateLimitedError } from '@llmops/platform';

/** Keys remembered at most; beyond, the buckets that are full again, then the least recently spent, are forgotten down to 90 %. */
const maxKeys = 10_000;
const keysAfterForgetting = 9_000;

class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Tokens per minute per key; 0 turns the limit off. */
    readonly perMinute: number,
    /** How many may be spent at once after a quiet spell. */
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** Throws RATE_LIMITED, with the seconds until the key has a token again, when it has none now. */
  refuseWhenEmpty(key: string, message: string, details: Record<string, unknown> = {}): void {
    if (this.perMinute <= 0) return;
    const tokens = this.refilled(key).tokens;
    if (tokens >= 1) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / this.ratePerMs() / 1000));
    throw new RateLimitedError(message, retryAfterSeconds, { ...details, limitPerMinute: this.perMinute });
  }

  /** Spends one of the key's tokens (down to empty, never below); a negative count gives tokens back (up to the burst). */
  spend(key: string, count = 1): void {
    if (this.perMinute <= 0) return;
    const bucket = this.refilled(key);
    bucket.tokens = Math.min(this.burst, Math.max(0, bucket.tokens - count));
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > maxKeys) this.forget();
  }

  private ratePerMs(): number {
    return this.perMinute / 60_000;
  }

  private refilled(key: string): { tokens: number; at: number } {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    return { tokens: Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.ratePerMs()), at: now };
  }

  private forget(): void {
    for (const key of this.buckets.keys()) if (this.refilled(key).tokens >= this.burst) this.buckets.delete(key);
    // Least recently spent first (spend re-inserts its key at the end), well below the bound, so
    // that a flood of new keys does not scan them all at every one.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= keysAfterForgetting) break;
      this.buckets.delete(key);
    }
  }
}

export class ProjectRateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(perMinute: number, burst: number, now: () => number = Date.now) {
    this.buckets = new TokenBuckets(perMinute, burst, now);
  }

  /** Takes one request from the project's bucket or throws RATE_LIMITED with when to retry. */
  take(projectId: string): void {
    this.buckets.refuseWhenEmpty(projectId, `project ${projectId} sent more than ${this.buckets.perMinute} requests per minute (GATEWAY_RATE_LIMIT_PER_MINUTE)`, { project: projectId });
    this.buckets.spend(projectId);
  }
}

export class AuthFailureLimiter {
  private readonly buckets: TokenBuckets;

  constructor(perMinute: number, burst: number, now: () => number = Date.now) {
    this.buckets = new TokenBuckets(perMinute, burst, now);
  }

  /**
   * Takes a token for a lookup of the address's credentials (given back by `giveBack` when they
   * turn out good), or throws RATE_LIMITED when it has failed too often lately. Taken before the
   * lookup, so that concurrent requests cannot all pass on the last token.
   */
  take(address: string): void {
    this.buckets.refuseWhenEmpty(address, `too many failed authentications from this address (GATEWAY_AUTH_FAILURES_PER_MINUTE: ${this.buckets.perMinute})`);
    this.buckets.spend(address);
  }

  /** The credentials looked up were not at fault (they were good, or PostgreSQL was down): the token comes back. */
  giveBack(address: string): void {
    this.buckets.spend(address, -1);
  }
}
