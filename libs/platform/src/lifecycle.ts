// The lifecycle registry: each resource registers its own stop and readiness; shutdown first drains
// the servers and consumers, all at once, then runs the stops in reverse order of registration,
// once, with a deadline.
import type { Logger } from './logger';
import { retryWithBackoff } from './retry';

type Stop = () => Promise<void> | void;

/** The reason of Lifecycle.drainDeadline: work stopped because the service is shutting down. */
export class ShuttingDownError extends Error {
  constructor() {
    super('the service is shutting down');
    this.name = 'ShuttingDownError';
  }
}
export type ReadinessReport = { ready: boolean; checks: Record<string, string> };

export class Lifecycle {
  private readonly stops: Array<{ name: string; stop: Stop }> = [];
  private readonly drains: Array<{ name: string; drain: Stop }> = [];
  private readonly checks = new Map<string, () => string | null>();
  private readonly abort = new AbortController();
  private readonly drainEnd = new AbortController();
  private shutdownPromise?: Promise<void>;
  private shutdownStartedAt: number | undefined;

  constructor(
    private readonly logger: Logger,
    /** How long shutdown may take in all (SHUTDOWN_GRACE_MS) before the process exits anyway. */
    readonly graceMs = 10_000,
  ) {}

  /** Aborted when shutdown begins: background loops watch it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get draining(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Aborted when the servers have drained, or 2 s before their drain budget runs out: work they
   * still serve then (a generation running on through a rolling update) stops, so that its caller
   * gets an answer and its record is written before the connections close.
   */
  get drainDeadline(): AbortSignal {
    return this.drainEnd.signal;
  }

  /**
   * How long a server draining now may let its calls in flight run: until 5 s before the grace
   * ends, counted from the start of the shutdown (what stops after the servers needs the margin),
   * and at least 1 s.
   */
  drainBudgetMs(): number {
    const elapsed = this.shutdownStartedAt === undefined ? 0 : Date.now() - this.shutdownStartedAt;
    return Math.max(1_000, this.graceMs - 5_000 - elapsed);
  }

  onStop(name: string, stop: Stop): void {
    this.stops.push({ name, stop });
  }

  /**
   * A server's or consumer's drain: it stops taking new requests or messages and lets those in
   * flight finish (within drainBudgetMs). All drain at the start of the shutdown, side by side, so
   * that none keeps taking work while another finishes its own; the stops run once all have
   * drained (the pools, clients and producers the work in flight still uses).
   */
  onDrain(name: string, drain: Stop): void {
    this.drains.push({ name, drain });
  }

  /** `check` returns null when ready, otherwise why not. */
  addReadinessCheck(name: string, check: () => string | null): void {
    this.checks.set(name, check);
  }

  readiness(): ReadinessReport {
    const checks: Record<string, string> = {};
    let ready = !this.draining;
    if (this.draining) checks['shutdown'] = 'draining';
    for (const [name, check] of this.checks) {
      const problem = check();
      checks[name] = problem ?? 'ok';
      if (problem) ready = false;
    }
    return { ready, checks };
  }

  /**
   * Connects to a dependency in the background, retrying with backoff; readiness names it until it
   * is up. `connect` is retried until it resolves or shutdown begins; resolves true once up,
   * false when shutdown came first.
   */
  dependency(name: string, connect: () => Promise<void>): Promise<boolean> {
    let state = 'connecting';
    this.addReadinessCheck(name, () => (state === 'up' ? null : state));
    return retryWithBackoff(connect, {
      signal: this.signal,
      onRetry: (attempt, err, delayMs) => {
        state = `unreachable after ${attempt} attempt(s): ${(err as Error).message}`;
        this.logger.warn({ dependency: name, attempt, delayMs, err: (err as Error).message }, `waiting for ${name}`);
      },
    }).then(
      () => {
        state = 'up';
        this.logger.info({ dependency: name }, `${name} is up`);
        return true;
      },
      (err) => {
        if (!this.draining) throw err;
        return false;
      },
    );
  }

  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.logger.info({ reason }, 'shutting down');
      this.shutdownStartedAt = Date.now();
      this.abort.abort();
      const deadline = setTimeout(() => {
        this.logger.error({ graceMs: this.graceMs }, 'shutdown exceeded its grace period; exiting');
        process.exit(1);
      }, this.graceMs);
      deadline.unref();
      const drainDeadline = setTimeout(() => this.drainEnd.abort(new ShuttingDownError()), Math.max(0, this.drainBudgetMs() - 2_000));
      drainDeadline.unref();
      await Promise.all(
        this.drains.map(async ({ name, drain }) => {
          try {
            await drain();
          } catch (err) {
            this.logger.error({ err, resource: name }, 'error while draining');
          }
        }),
      );
      clearTimeout(drainDeadline);
      this.drainEnd.abort(new ShuttingDownError());
      for (const { name, stop } of [...this.stops].reverse()) {
        try {
          const started = Date.now();
          await stop();
          this.logger.debug({ resource: name, ms: Date.now() - started }, 'stopped');
        } catch (err) {
          this.logger.error({ err, resource: name }, 'error while stopping');
        }
      }
      clearTimeout(deadline);
    })();
    return this.shutdownPromise;
  }

  /** SIGTERM/SIGINT drain and exit 0; a fatal error drains and exits 1. */
  installProcessHandlers(): void {
    const onSignal = (signal: string) => void this.shutdown(signal).then(() => process.exit(0));
    // `on`, not `once`: libraries using signal-exit re-raise a signal when no other listener is left.
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('unhandledRejection', (err) => this.logger.error({ err }, 'unhandled promise rejection'));
  }
}
