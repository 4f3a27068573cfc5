import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Stop after this many attempts; unbounded when omitted. */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Only errors for which this returns true are retried (all, when omitted). */
  retryIf?: (error: unknown) => boolean;
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

/**
 * Exponential backoff with full jitter, until `fn` resolves, the attempts run out or `signal`
 * aborts; an abort during a pause rejects with the signal's reason.
 */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, opts: BackoffOptions = {}): Promise<T> {
  const { initialMs = 200, maxMs = 5_000, maxAttempts = Infinity, signal, retryIf, onRetry } = opts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= maxAttempts || signal?.aborted || (retryIf && !retryIf(err))) throw err;
      const delayMs = Math.round(Math.random() * Math.min(maxMs, initialMs * 2 ** (attempt - 1)));
      onRetry?.(attempt, err, delayMs);
      await sleep(delayMs, undefined, { signal }).catch(() => {
        throw signal!.reason as Error;
      });
    }
  }
}
