// The outbox relay against the real PostgreSQL: two replicas' relays on one outbox publish every
// event once and in the order written (one relay at a time holds the schema's advisory lock), and
// no produce request carries more than maxRelayBytes (a broker refuses a record batch over its
// message.max.bytes, and a refused batch would be retried forever). The producer is a recording
// fake: what is tested is which rows the relays take, in which order, and how they cut them.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { createLogger, createMetrics, Lifecycle, maxRelayBytes, OutboxRelay, outboxMigration, type EventProducer, type OutgoingEvent } from '@llmops/platform';
import { integrationContext } from './context';

const ctx = integrationContext();
const schema = `outbox_it_${randomBytes(4).toString('hex')}`;
const pools: Pool[] = [];
const logger = createLogger('outbox-it', 'silent');

beforeAll(async () => {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  pools.push(pool);
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`SET search_path TO ${schema}; ${outboxMigration.sql}`);
});

afterAll(async () => {
  await pools[0]!.query(`DROP SCHEMA ${schema} CASCADE`);
  await Promise.all(pools.map((p) => p.end()));
});

/** Rows as enqueueEvent writes them; the value's n is the order they were written in. */
async function enqueue(from: number, count: number, pad = 0): Promise<void> {
  const values = Array.from({ length: count }, (_, i) => JSON.stringify({ n: from + i, pad: 'x'.repeat(pad) }));
  await pools[0]!.query(
    `INSERT INTO ${schema}.outbox (topic, key, value, headers) SELECT 'prompt.version.created.v1', 'prompt-1', v::jsonb, '{}'::jsonb FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i`,
    [values],
  );
}

function recordingProducer(sent: Array<{ n: number; bytes: number }[]>): EventProducer {
  return {
    send: async (events: OutgoingEvent[]) => {
      // Slow for the first rows of each 400, quick for the others: a relay working beside the one
      // that holds those rows would publish the later rows first.
      const first = (JSON.parse(events[0]!.value) as { n: number }).n;
      await sleep(first % 400 < 200 ? 60 : 5);
      sent.push(events.map((e) => ({ n: (JSON.parse(e.value) as { n: number }).n, bytes: Buffer.byteLength(e.value) })));
    },
  } as unknown as EventProducer;
}

function relay(sent: Array<{ n: number; bytes: number }[]>): { relay: OutboxRelay; lifecycle: Lifecycle } {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  pools.push(pool);
  const lifecycle = new Lifecycle(logger);
  return { relay: new OutboxRelay(pool, schema, recordingProducer(sent), { logger, metrics: createMetrics('outbox-it'), lifecycle }, 50), lifecycle };
}

async function unpublished(): Promise<number> {
  const { rows } = await pools[0]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE published_at IS NULL`);
  return rows[0]!.n;
}

test('two relays on one outbox publish every event once, in the order written', async () => {
  await enqueue(0, 1_000);
  const sent: Array<{ n: number; bytes: number }[]> = [];
  const a = relay(sent);
  const b = relay(sent);
  a.relay.start();
  b.relay.start();
  for (let waited = 0; (await unpublished()) > 0 && waited < 30_000; waited += 100) await sleep(100);
  await Promise.all([a.lifecycle.shutdown('test'), b.lifecycle.shutdown('test')]);
  const order = sent.flat().map((e) => e.n);
  expect(order).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
}, 60_000);

test(`no produce request carries more than ${maxRelayBytes} bytes of events, and none is lost`, async () => {
  await pools[0]!.query(`UPDATE ${schema}.outbox SET published_at = now() WHERE published_at IS NULL`);
  // 40 events of ~100 KB: 4 MB in all, which one request of 200 rows would have carried.
  await enqueue(10_000, 40, 100_000);
  const sent: Array<{ n: number; bytes: number }[]> = [];
  const a = relay(sent);
  a.relay.start();
  for (let waited = 0; (await unpublished()) > 0 && waited < 30_000; waited += 100) await sleep(100);
  await a.lifecycle.shutdown('test');
  expect(sent.length).toBeGreaterThanOrEqual(8);
  for (const request of sent) expect(request.reduce((s, e) => s + e.bytes, 0)).toBeLessThanOrEqual(maxRelayBytes);
  expect(sent.flat().map((e) => e.n)).toEqual(Array.from({ length: 40 }, (_, i) => 10_000 + i));
}, 60_000);
