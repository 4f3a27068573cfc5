// The ingestion consumer: documents.ingest.v1 in batches. Each partition's fetched messages are
// cut into chunks of `batchSize` documents that are embedded in one encoder call and written in
// one bulk request; the next chunk is embedding while the previous one is written, so the encoder
// always has work queued.
//
// A consumer that has caught up with its partition makes the outcomes it recorded count at once,
// so that a job reads COMPLETED as soon as its last document is written rather than at
// Elasticsearch's next scheduled refresh of the outcomes.
//
// At least once, and nothing is lost: a chunk's offsets are committed only after every document in
// it was indexed or dead-lettered. A document that cannot be indexed goes to
// documents.ingest.dlq.v1 with its reason (and counts as failed in its job) while the rest go on;
// an unreachable encoder or Elasticsearch is waited for, with backoff, for as long as it takes.
// (The platform's EventConsumer handles one message at a time; embedding wants batches.)
//
// kafkajs heartbeats only when told to, and one chunk's embedding may take up to the encoder
// deadline (INGEST_ENCODER_DEADLINE_MS, 120 s: it queues behind the other partitions' batches and
// every search), longer than the group session (60 s, chunkConsumerConfig). So the consumer
// heartbeats every second while it awaits a chunk's embedding, write, outcomes or dead letters
// (kafkajs sends one heartbeat per heartbeatInterval however often it is asked), and stops there
// at a rebalance, as it does while it waits for a dependency.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { chunkConsumerConfig, ConsumerLagMonitor, decodeEvent, IdempotentProducer, sendToDeadLetter, UnavailableError, type Logger, type Metrics } from '@llmops/platform';
import type { IngestItem, IngestOutcome } from '../domain/model';
import type { IngestionJobStore } from '../domain/ports';
import type { DocumentIndexer, PreparedBatch } from '../domain/indexer';
import type { RetrievalMetrics } from '../metrics';

export const ingestTopic = 'documents.ingest.v1' as const;

export interface IngestConsumerOptions {
  groupId: string;
  batchSize: number;
  partitionsConsumedConcurrently: number;
  /** How often to heartbeat while a chunk is being embedded or written (default 1 s; tests). */
  heartbeatEveryMs?: number;
}

/** What a wait for a chunk's work answers when the consumer stopped or the batch went stale first. */
const stopped = Symbol('stopped');

type Decoded = { message: KafkaMessage; item: IngestItem };

interface StartedChunk {
  decoded: Decoded[];
  undecodable: Array<{ message: KafkaMessage; error: string }>;
  prepared?: PreparedBatch;
  error?: unknown;
}

export class IngestConsumer {
  private readonly consumer: Consumer;
  private readonly dlq: IdempotentProducer;
  private readonly lag: ConsumerLagMonitor;

  constructor(
    kafka: Kafka,
    private readonly indexer: DocumentIndexer,
    private readonly jobs: IngestionJobStore,
    private readonly opts: IngestConsumerOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly own: RetrievalMetrics,
  ) {
    this.consumer = kafka.consumer(chunkConsumerConfig(opts.groupId));
    this.dlq = new IdempotentProducer(kafka);
    this.lag = new ConsumerLagMonitor(kafka, { groupId: opts.groupId, topics: [ingestTopic], fromBeginning: true }, logger, metrics);
  }

  async start(): Promise<void> {
    await this.dlq.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [ingestTopic], fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // Zero is a real count: dead letters can be rated and alerted on before the first one.
    this.metrics.kafkaDeadLetters.inc({ topic: ingestTopic }, 0);
    this.lag.start();
  }

  async stop(): Promise<void> {
    await this.lag.stop();
    await this.consumer.disconnect();
    await this.dlq.disconnect();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const live = () => isRunning() && !isStale();
    const chunks: KafkaMessage[][] = [];
    for (let i = 0; i < batch.messages.length; i += this.opts.batchSize) chunks.push(batch.messages.slice(i, i + this.opts.batchSize));
    // One chunk ahead: the next chunk is embedding while the current one is written, so the
    // encoder never waits for Elasticsearch. Writes (and commits) stay in partition order.
    let next = chunks.length ? this.startChunk(chunks[0]!) : null;
    for (let i = 0; i < chunks.length && live(); i++) {
      const end = this.own.batchDuration.startTimer();
      const chunk = await this.heartbeating(next!, heartbeat, live);
      if (chunk === stopped) return;
      next = i + 1 < chunks.length ? this.startChunk(chunks[i + 1]!) : null;
      const outcomes = await this.outcomesOf(chunk, heartbeat, live);
      if (!outcomes) return;
      if (!(await this.finishChunk(batch.partition, chunk, outcomes, heartbeat, live))) return;
      resolveOffset(chunks[i]!.at(-1)!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      end();
    }
    if (live() && batch.offsetLag() === '0') await this.publishOutcomes();
  }

  /**
   * Caught up with a partition: its jobs' counts become current now, not at Elasticsearch's next
   * scheduled refresh of the outcomes (up to a second later, time in which a client waiting for
   * COMPLETED has nothing to do). The collection is not refreshed here: a job that reads
   * COMPLETED makes its documents searchable, and a refresh at every catch-up would cut the
   * collection, whose segments carry vector graphs, into more small segments to merge.
   * Best effort: a failure leaves the counts to the scheduled refresh.
   */
  private async publishOutcomes(): Promise<void> {
    try {
      await this.jobs.publishOutcomes();
    } catch (err) {
      this.logger.warn({ err }, 'could not publish ingestion outcomes at once; they count at the next refresh');
    }
  }

  /** Decodes a chunk and starts embedding it; never rejects (a failure is kept for outcomesOf). */
  private startChunk(messages: KafkaMessage[]): Promise<StartedChunk> {
    const decoded: Decoded[] = [];
    const undecodable: Array<{ message: KafkaMessage; error: string }> = [];
    for (const message of messages) {
      const result = decode(message);
      if (result.ok) decoded.push({ message, item: result.item });
      else undecodable.push({ message, error: result.error });
    }
    const items = decoded.map((d) => d.item);
    return this.indexer.prepare(items).then(
      (prepared): StartedChunk => ({ decoded, undecodable, prepared }),
      (error: unknown): StartedChunk => ({ decoded, undecodable, error }),
    );
  }

  /**
   * The chunk's outcomes, in item order: its embedding (retried while a dependency is down) then
   * its write. An unexpected error (not a dependency being down) is retried, then the documents
   * are indexed one by one so that only the ones that keep failing are dead-lettered. Null when
   * the consumer stops first.
   */
  private async outcomesOf(chunk: StartedChunk, heartbeat: () => Promise<void>, live: () => boolean): Promise<IngestOutcome[] | null> {
    const items = chunk.decoded.map((d) => d.item);
    if (items.length === 0) return [];
    let first = true;
    return this.untilAvailable(
      async () => {
        const prepared = first && chunk.prepared ? chunk.prepared : first && chunk.error ? Promise.reject(chunk.error) : this.indexer.prepare(items);
        first = false;
        try {
          return await this.indexer.write(await prepared);
        } catch (err) {
          if (err instanceof UnavailableError) throw err;
          this.logger.error({ err, documents: items.length }, 'indexing a batch failed; indexing its documents one by one');
        }
        const outcomes: IngestOutcome[] = [];
        for (const item of items) {
          try {
            outcomes.push(...(await this.indexer.index([item])));
          } catch (err) {
            if (err instanceof UnavailableError) throw err;
            outcomes.push({ item, ok: false, reason: `indexing failed: ${(err as Error).message}` });
          }
        }
        return outcomes;
      },
      heartbeat,
      live,
    );
  }

  /** Dead-letters what failed, records every outcome; false when the consumer stops first. */
  private async finishChunk(
    partition: number,
    chunk: StartedChunk,
    outcomes: IngestOutcome[],
    heartbeat: () => Promise<void>,
    live: () => boolean,
  ): Promise<boolean> {
    // One produce request for the chunk's failures, as EventBatchConsumer sends them.
    const sent = await this.heartbeating(
      sendToDeadLetter(this.dlq, { logger: this.logger, metrics: this.metrics }, [
        ...chunk.undecodable.map((u) => ({ topic: ingestTopic, partition, message: u.message, error: u.error })),
        ...outcomes.flatMap((o, i) => (o.ok ? [] : [{ topic: ingestTopic, partition, message: chunk.decoded[i]!.message, error: o.reason }])),
      ]),
      heartbeat,
      live,
    );
    if (sent === stopped) return false;
    const recorded = await this.untilAvailable(
      () =>
        this.jobs.recordOutcomes(
          outcomes.map((o) => ({ jobId: o.item.jobId, collection: o.item.collection, documentId: o.item.id, ok: o.ok, reason: o.ok ? null : o.reason })),
        ),
      heartbeat,
      live,
    );
    if (recorded === null) return false;
    for (const o of outcomes) {
      this.own.documents.inc({ outcome: o.ok ? 'indexed' : 'failed' });
      if (o.ok) this.metrics.kafkaMessagesConsumed.inc({ topic: ingestTopic, outcome: 'processed' });
    }
    return true;
  }

  /** Runs `fn` until it does not throw UnavailableError; null when the consumer stops first. */
  private async untilAvailable<T>(fn: () => Promise<T>, heartbeat: () => Promise<void>, live: () => boolean): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.heartbeating(fn(), heartbeat, live);
        return result === stopped ? null : result;
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        this.own.retries.inc({ dependency: err.dependency });
        const delayMs = Math.min(10_000, 250 * 2 ** Math.min(attempt - 1, 6));
        this.logger.warn({ dependency: err.dependency, attempt, delayMs }, `ingestion waits for ${err.dependency}`);
        for (let waited = 0; waited < delayMs; waited += 1_000) {
          if (!live()) return null;
          await sleep(Math.min(1_000, delayMs - waited));
          await heartbeat();
        }
      }
    }
  }

  /**
   * Awaits `work`, heartbeating every second meanwhile so that the group keeps this member however
   * long the encoder or Elasticsearch takes. `stopped` when the consumer stops or the batch goes
   * stale first; a heartbeat refused because the group is rebalancing rejects, as in
   * untilAvailable (kafkajs rejoins, and the chunk, uncommitted, is redone by the partition's next
   * owner). Either way `work` is left to finish on its own: its outcome is not recorded.
   */
  private async heartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>, live: () => boolean): Promise<T | typeof stopped> {
    const settled = work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<null>((resolve) => (timer = setTimeout(resolve, this.opts.heartbeatEveryMs ?? 1_000, null)));
      const done = await Promise.race([settled, tick]);
      clearTimeout(timer);
      if (done) {
        if ('error' in done) throw done.error;
        return done.value;
      }
      if (!live()) return stopped;
      await heartbeat();
    }
  }
}

function decode(message: KafkaMessage): { ok: true; item: IngestItem } | { ok: false; error: string } {
  const result = decodeEvent(ingestTopic, message.value);
  if (!result.ok) return result;
  const v = result.value;
  return { ok: true, item: { jobId: v.jobId, projectId: v.projectId, collection: v.collection, id: v.documentId, title: v.title, text: v.text, metadata: v.metadata } };
}
