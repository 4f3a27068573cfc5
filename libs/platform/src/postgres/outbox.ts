// Transactional outbox: an event is written in the same transaction as the change it describes,
// then relayed to Kafka and marked published. A database write and its event cannot diverge;
// Kafka being down delays events, never loses them. Consumers deduplicate by eventId.
import type { Pool, PoolClient } from 'pg';
import type { TopicName } from '@llmops/contracts';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Lifecycle } from '../lifecycle';
import { encodeEvent, type EventInput, type EventProducer, type OutgoingEvent } from '../kafka/producer';
import type { Migration } from './migrate';

export const outboxMigration: Migration = {
  id: '0000-outbox',
  sql: `CREATE TABLE outbox (
    seq bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    headers jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
  );
  CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;`,
};

/** Adds an event to the outbox inside the caller's transaction; it captures the active trace. */
export async function enqueueEvent<T extends TopicName>(client: PoolClient, schema: string, topic: T, input: EventInput<T>): Promise<void> {
  const e = encodeEvent(topic, input);
  await client.query(`INSERT INTO ${schema}.outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)`, [
    e.topic,
    e.key,
    e.value,
    JSON.stringify(e.headers),
  ]);
}

/** The most event bytes one relay request carries (see relayBatch). */
export const maxRelayBytes = 512 * 1024;

export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly producer: EventProducer,
    private readonly deps: { logger: Logger; metrics: Metrics; lifecycle: Lifecycle },
    private readonly pollMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.deps.lifecycle.onStop('outbox relay', async () => {
      clearInterval(this.timer);
      await this.running;
    });
    this.wake();
  }

  /** Relays now (called right after a commit that enqueued events). */
  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.deps.logger.warn({ err: (err as Error).message }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.deps.lifecycle.draining) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const relayed = await this.relayBatch(200);
      if (relayed === 0) return;
    }
  }

  private async relayBatch(limit: number): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One relay at a time per schema, across replicas: two would publish different rows side by
      // side, and an entity's later event could then reach its partition before an earlier one.
      // The others find the lock taken and leave the rows to its holder (which drains them all).
      const { rows: lock } = await client.query<{ held: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS held`, [`${this.schema}.outbox`]);
      if (!lock[0]?.held) {
        await client.query('COMMIT');
        return 0;
      }
      const { rows: locked } = await client.query<{ seq: string; topic: TopicName; key: string; value: unknown; headers: Record<string, string> }>(
        `SELECT seq, topic, key, value, headers FROM ${this.schema}.outbox
         WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE`,
        [limit],
      );
      if (locked.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      // At most maxRelayBytes per produce request (at least one event): a partition's share of a
      // request is one record batch, which the broker refuses over its message.max.bytes (1 MiB
      // by default), and a refused batch would be retried, and refused, forever.
      const events: OutgoingEvent[] = [];
      let bytes = 0;
      for (const r of locked) {
        const e = { topic: r.topic, key: r.key, value: JSON.stringify(r.value), headers: r.headers };
        bytes += Buffer.byteLength(e.value) + Buffer.byteLength(e.key) + Buffer.byteLength(JSON.stringify(e.headers));
        if (events.length > 0 && bytes > maxRelayBytes) break;
        events.push(e);
      }
      const rows = locked.slice(0, events.length);
      try {
        await this.producer.send(events);
      } catch (err) {
        for (const e of events) this.deps.metrics.outboxRelayErrors.inc({ topic: e.topic });
        throw err;
      }
      await client.query(`UPDATE ${this.schema}.outbox SET published_at = now() WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
