// How the platform's consumers retry their handlers, on one message or on a chunk of them.
// A dependency that is down (UnavailableError) is not the message's fault: it is waited out with
// backoff, heartbeating so that the group keeps the member, for as long as the consumer runs and
// the group lets it keep the partition; the UnavailableError (or the refused heartbeat's error,
// which tells kafkajs to rejoin) then leaves the message uncommitted, to be handled again. Any
// other failure is tried `maxAttempts` times in all and then is the message's: HandlerFailedError,
// which the consumer dead-letters (so is a statement PostgreSQL keeps cancelling, after
// `maxStatementTimeouts` tries).
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { isConnectionError } from '../postgres/pool';
import { retryWithBackoff } from '../retry';

/** The handler kept failing on the message(s) for a reason of theirs: dead-letter them. */
export class HandlerFailedError extends Error {
  constructor(cause: unknown) {
    super(`handler failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface HandlerRetryOptions {
  /** Attempts before a failure other than UnavailableError is the message's (default 3). */
  maxAttempts?: number;
  /** False once the consumer stops or its batch went stale: a wait for a dependency ends. */
  running: () => boolean;
  heartbeat: () => Promise<void>;
  logger: Logger;
  /** Where, for the log of a wait (topic, partition). */
  where: Record<string, unknown>;
  /**
   * A statement PostgreSQL cancelled (57014: its statement_timeout, or an operator) is transient
   * under load, but one message can also cause it every time: it is waited out this many times
   * (default 20, some 15-30 s), then the message is dead-lettered rather than holding its
   * partition for good.
   */
  maxStatementTimeouts?: number;
}


/** The handler's error, or the one an adapter wrapped as UnavailableError, is a cancelled statement. */
function statementCancelled(err: unknown): boolean {
  const code = (e: unknown) => (e as { code?: unknown } | null)?.code;
  return code(err) === '57014' || (err instanceof UnavailableError && code(err.cause) === '57014');
}

export async function retryHandler(work: () => Promise<void>, opts: HandlerRetryOptions): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 3;
  const maxStatementTimeouts = opts.maxStatementTimeouts ?? 20;
  let failures = 0;
  let cancelledStatements = 0;
  // Set when a heartbeat is refused (the group is rebalancing): the partition may be another member's now.
  let rejoin: unknown = null;
  // PostgreSQL out of reach is a dependency down, whether or not the handler's adapter said so.
  const attempt = () =>
    work().catch((err: unknown) => {
      throw !(err instanceof UnavailableError) && isConnectionError(err) ? new UnavailableError('postgresql', { cause: err }) : err;
    });
  try {
    await retryWithBackoff(attempt, {
      initialMs: 100,
      maxMs: 2_000,
      retryIf: (err) => {
        if (!(err instanceof UnavailableError)) return ++failures < maxAttempts;
        if (statementCancelled(err) && ++cancelledStatements >= maxStatementTimeouts) return false;
        return opts.running() && rejoin === null;
      },
      onRetry: (attempt, err) => {
        if (err instanceof UnavailableError && (attempt === 1 || attempt % 10 === 0)) {
          opts.logger.warn({ ...opts.where, attempt, dependency: err.dependency }, `handling waits for ${err.dependency}`);
        }
        opts.heartbeat().catch((e: unknown) => (rejoin ??= e));
      },
    });
  } catch (err) {
    if (err instanceof UnavailableError && !(cancelledStatements >= maxStatementTimeouts)) throw rejoin ?? err;
    throw new HandlerFailedError(err);
  }
}
