// Typed at-least-once consumer that hands its handler whole chunks of a partition's messages, for
// consumers that write many events in one statement. Like EventConsumer, each message is validated
// against the contracts topic map and one that does not parse goes to the dead-letter topic; each
// chunk is handled in a `process <topic>` span linked to the producers' traces.
//
// A chunk's offsets are committed only after every message in it was handled or dead-lettered.
// When the handler fails on a chunk, its messages are handled one by one so that only the ones
// that keep failing are dead-lettered; an UnavailableError (a dependency is down) is waited out
// instead (see handler-retry.ts), so nothing is dead-lettered or lost while it is down.
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { TopicName, TopicValue } from '@llmops/contracts';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { HandlerFailedError, retryHandler } from './handler-retry';
import { decodeEvent, type MessageMeta } from './consumer';
import { chunkConsumerConfig } from './client';
import { sendToDeadLetter } from './dead-letter';
import { IdempotentProducer } from './idempotent-producer';
import { ConsumerLagMonitor } from './consumer-lag';
import { extractTraceContext } from './trace-headers';

export interface BatchEvent<T extends TopicName> {
  value: TopicValue<T>;
  meta: MessageMeta;
}

export type BatchEventHandler<T extends TopicName> = (topic: T, events: BatchEvent<T>[]) => Promise<void>;

export interface EventBatchConsumerOptions<T extends TopicName> {
  groupId: string;
  topics: T[];
  /** Must be idempotent: a chunk may be delivered again after a crash or rebalance. */
  handleBatch: BatchEventHandler<T>;
  /** The most messages handed to the handler at once (default 1000). */
  maxBatchSize?: number;
  /** Attempts per chunk, then per message, before a message is dead-lettered (UnavailableError aside). */
  maxAttempts?: number;
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  /** How often kafka_consumer_lag_messages is read from the broker (default 15 s). */
  lagIntervalMs?: number;
}

const tracer = trace.getTracer('@llmops/platform/kafka');
const maxSpanLinks = 32;

export class EventBatchConsumer<T extends TopicName> {
  private readonly consumer: Consumer;
  private readonly dlqProducer: IdempotentProducer;
  private readonly lag: ConsumerLagMonitor;

  constructor(
    kafka: Kafka,
    private readonly opts: EventBatchConsumerOptions<T>,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.consumer = kafka.consumer(chunkConsumerConfig(opts.groupId));
    this.dlqProducer = new IdempotentProducer(kafka);
    this.lag = new ConsumerLagMonitor(
      kafka,
      { groupId: opts.groupId, topics: opts.topics, fromBeginning: opts.fromBeginning ?? true, intervalMs: opts.lagIntervalMs },
      logger,
      metrics,
    );
  }

  async start(): Promise<void> {
    await this.dlqProducer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    // Zero is a real count: dead letters can be rated and alerted on before the first one.
    for (const topic of this.opts.topics) this.metrics.kafkaDeadLetters.inc({ topic }, 0);
    this.lag.start();
  }

  async stop(): Promise<void> {
    await this.lag.stop();
    await this.consumer.disconnect();
    await this.dlqProducer.disconnect();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const live = () => isRunning() && !isStale();
    const size = this.opts.maxBatchSize ?? 1000;
    for (let i = 0; i < batch.messages.length && live(); i += size) {
      const chunk = batch.messages.slice(i, i + size);
      await this.onChunk(batch.topic as T, batch.partition, chunk, live, heartbeat);
      resolveOffset(chunk[chunk.length - 1]!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  private async onChunk(topic: T, partition: number, chunk: KafkaMessage[], live: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const links: Link[] = [];
    for (const m of chunk.slice(0, maxSpanLinks)) {
      const spanContext = trace.getSpanContext(extractTraceContext(m.headers));
      if (spanContext) links.push({ context: spanContext });
    }
    await tracer.startActiveSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': chunk.length },
      },
      async (span) => {
        try {
          const failed: Array<{ topic: string; partition: number; message: KafkaMessage; error: string }> = [];
          const events: Array<BatchEvent<T> & { message: KafkaMessage }> = [];
          for (const message of chunk) {
            const decoded = decodeEvent(topic, message.value);
            if (!decoded.ok) failed.push({ topic, partition, message, error: decoded.error });
            else {
              const meta: MessageMeta = { key: message.key?.toString() ?? null, headers: message.headers ?? {}, partition, offset: message.offset };
              events.push({ value: decoded.value, meta, message });
            }
          }
          if (events.length) {
            const handle = (some: typeof events) =>
              retryHandler(() => this.opts.handleBatch(topic, some.map(({ value, meta }) => ({ value, meta }))), {
                maxAttempts: this.opts.maxAttempts,
                running: live,
                heartbeat,
                logger: this.logger,
                where: { topic, partition },
              });
            try {
              await handle(events);
            } catch (err) {
              // A dependency still down as the consumer stops or rebalances: not the messages' fault.
              if (!(err instanceof HandlerFailedError)) throw err;
              span.recordException(err.cause as Error);
              this.logger.warn({ topic, partition, err: err.message, messages: events.length }, 'chunk failed; handling its messages one by one');
              for (const e of events) {
                try {
                  await handle([e]);
                } catch (one) {
                  if (!(one instanceof HandlerFailedError)) throw one;
                  failed.push({ topic, partition, message: e.message, error: one.message });
                }
              }
            }
          }
          await sendToDeadLetter(this.dlqProducer, { logger: this.logger, metrics: this.metrics }, failed);
          const processed = chunk.length - failed.length;
          if (processed) this.metrics.kafkaMessagesConsumed.inc({ topic, outcome: 'processed' }, processed);
        } finally {
          span.end();
        }
      },
    );
  }
}
