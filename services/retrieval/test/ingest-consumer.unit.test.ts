// The ingestion consumer's batch handler over the in-memory domain, with kafkajs's eachBatch
// payload played by the test: it keeps the group session alive while a chunk embeds slowly, and
// stops (nothing resolved or committed) when the batch goes stale or the group rebalances.
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { createMetrics, encodeEvent } from '@llmops/platform';
import { IngestConsumer } from '../src/kafka/ingest-consumer';
import { createRetrievalMetrics } from '../src/metrics';
import { doc, P, setup } from './setup';

const noop = async () => {};
const kafka = {
  consumer: () => ({ connect: noop, subscribe: noop, run: noop, disconnect: noop }),
  producer: () => ({ connect: noop, sendBatch: async () => [], disconnect: noop }),
} as unknown as Kafka;

async function withQueued(count: number) {
  const t = setup();
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  await t.ingestion.ingest(P, 'docs', Array.from({ length: count }, (_, i) => doc(`d${i}`, `text number ${i}`)));
  const messages: KafkaMessage[] = t.queue.queued.splice(0).map((i, n) => {
    const e = encodeEvent('documents.ingest.v1', { projectId: i.projectId, jobId: i.jobId, collection: i.collection, documentId: i.id, title: i.title, text: i.text, metadata: i.metadata });
    return { key: Buffer.from(i.id), value: e.value, headers: {}, offset: String(n), timestamp: '0', attributes: 0, size: 0 } as unknown as KafkaMessage;
  });
  const metrics = createMetrics('retrieval-consumer-test');
  const consumer = new IngestConsumer(kafka, t.indexer, t.jobs, { groupId: 'g', batchSize: 2, partitionsConsumedConcurrently: 1, heartbeatEveryMs: 20 }, pino({ level: 'silent' }), metrics, createRetrievalMetrics(metrics));
  const onBatch = (payload: EachBatchPayload) => (consumer as unknown as { onBatch(p: EachBatchPayload): Promise<void> }).onBatch(payload);
  return { t, messages, onBatch };
}

function payload(messages: KafkaMessage[], over: { heartbeat?: () => Promise<void>; isStale?: () => boolean } = {}) {
  const started = Date.now();
  const beats: number[] = [];
  const resolved: string[] = [];
  const p = {
    batch: { topic: 'documents.ingest.v1', partition: 0, messages, offsetLag: () => '0' },
    resolveOffset: (o: string) => resolved.push(o),
    heartbeat: over.heartbeat ?? (async () => void beats.push(Date.now() - started)),
    commitOffsetsIfNecessary: noop,
    isRunning: () => true,
    isStale: over.isStale ?? (() => false),
  } as unknown as EachBatchPayload;
  return { p, beats, resolved };
}

test('a chunk that embeds for longer than the session keeps heartbeating while it waits', async () => {
  const { t, messages, onBatch } = await withQueued(4);
  t.embedder.latencyMs = 300; // stands for an encoder call of up to 120 s against a 60 s session
  const { p, beats, resolved } = payload(messages);
  await onBatch(p);
  expect(resolved).toEqual(['1', '3']);
  expect(t.jobs.outcomes.size).toBe(4);
  // Two chunks embedding 300 ms each: without heartbeats in between, only one after each commit.
  expect(beats.length).toBeGreaterThan(10);
  const gaps = beats.map((b, i) => b - (beats[i - 1] ?? 0));
  expect(Math.max(...gaps)).toBeLessThan(200);
});

test('a rebalance seen while a chunk embeds stops the batch: nothing resolved, committed or recorded', async () => {
  const { t, messages, onBatch } = await withQueued(2);
  t.embedder.latencyMs = 300;
  const rebalancing = Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), { type: 'REBALANCE_IN_PROGRESS' });
  const { p, resolved } = payload(messages, { heartbeat: () => Promise.reject(rebalancing) });
  await expect(onBatch(p)).rejects.toBe(rebalancing);
  expect(resolved).toEqual([]);
  expect(t.jobs.outcomes.size).toBe(0);
});

test('a batch gone stale while a chunk embeds is left as it is', async () => {
  const { t, messages, onBatch } = await withQueued(2);
  t.embedder.latencyMs = 300;
  let stale = false;
  setTimeout(() => (stale = true), 100);
  const { p, resolved } = payload(messages, { isStale: () => stale });
  await onBatch(p);
  expect(resolved).toEqual([]);
  expect(t.jobs.outcomes.size).toBe(0);
});
