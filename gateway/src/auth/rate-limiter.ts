// Per-project request rate limit at the gateway: a token bucket per project (per gateway replica;
// with N replicas a project gets up to N times the rate), refilled continuously.
import { RateLimitedError } from '@llmops/platform';

export class ProjectRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Requests per minute per project; 0 turns the limit off. */
    private readonly perMinute: number,
    /** How many may arrive at once after a quiet spell. */
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from the project's bucket or throws RATE_LIMITED with when to retry. */
  take(projectId: string): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    const ratePerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(projectId) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(projectId, bucket);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
      throw new RateLimitedError(`project ${projectId} sent more than ${this.perMinute} requests per minute (GATEWAY_RATE_LIMIT_PER_MINUTE)`, retryAfterSeconds, {
        project: projectId,
        limitPerMinute: this.perMinute,
      });
    }
    bucket.tokens -= 1;
    this.buckets.set(projectId, bucket);
  }
}
