// Typed at-least-once consumer: each message is validated against the contracts topic map and
// handled inside the producer's trace; a handler that keeps failing, or a message that does not
// parse, goes to the topic's dead-letter topic with its original headers and the error, so the
// partition keeps moving and nothing is lost. A handler that throws UnavailableError (its
// database or a peer is down) is not failing on the message: it is retried for as long as the
// consumer runs, and the message is never dead-lettered for it. Handlers must be idempotent
// (deduplicate by eventId).
import { SpanKind, trace } from '@opentelemetry/api';
import type { Consumer, EachMessagePayload, IHeaders, Kafka } from 'kafkajs';
import { topics, type TopicName, type TopicValue } from '@llmops/contracts';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { consumerConfig } from './client';
import { sendToDeadLetter } from './dead-letter';
import { IdempotentProducer } from './idempotent-producer';
import { ConsumerLagMonitor } from './consumer-lag';
import { extractTraceContext } from './trace-headers';
import { runAs, serviceIdentity } from '../identity';
import { HandlerFailedError, retryHandler } from './handler-retry';

export interface MessageMeta {
  key: string | null;
  headers: IHeaders;
  partition: number;
  offset: string;
}

export type EventHandler<T extends TopicName> = (topic: T, value: TopicValue<T>, meta: MessageMeta) => Promise<void>;

export interface EventConsumerOptions<T extends TopicName> {
  groupId: string;
  topics: T[];
  handle: EventHandler<T>;
  /** Attempts per message before it is dead-lettered (UnavailableError aside: waited out). */
  maxAttempts?: number;
  /** A new group starts at the oldest message (default) or only sees messages sent after it joined. */
  fromBeginning?: boolean;
  /** How often kafka_consumer_lag_messages is read from the broker (default 15 s). */
  lagIntervalMs?: number;
  /**
   * Told when the consumer starts fetching after joining its group (true), and when it crashes,
   * disconnects, stops or rebalances (false): what it maintains may have missed events meanwhile.
   */
  onActiveChange?: (active: boolean) => void;
}

const tracer = trace.getTracer('@llmops/platform/kafka');

export class EventConsumer<T extends TopicName> {
  private readonly consumer: Consumer;
  private readonly dlqProducer: IdempotentProducer;
  private readonly lag: ConsumerLagMonitor;
  private stopping = false;

  constructor(
    kafka: Kafka,
    private readonly opts: EventConsumerOptions<T>,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.consumer = kafka.consumer(consumerConfig(opts.groupId));
    this.dlqProducer = new IdempotentProducer(kafka);
    this.lag = new ConsumerLagMonitor(
      kafka,
      { groupId: opts.groupId, topics: opts.topics, fromBeginning: opts.fromBeginning ?? true, intervalMs: opts.lagIntervalMs },
      logger,
      metrics,
    );
  }

  async start(): Promise<void> {
    const notify = this.opts.onActiveChange;
    if (notify) {
      const { GROUP_JOIN, FETCH_START, CRASH, DISCONNECT, STOP, REBALANCING } = this.consumer.events;
      let joined = false;
      this.consumer.on(GROUP_JOIN, () => (joined = true));
      this.consumer.on(FETCH_START, () => {
        if (joined) notify(true);
        joined = false;
      });
      for (const e of [CRASH, DISCONNECT, STOP, REBALANCING]) this.consumer.on(e, () => notify(false));
    }
    await this.dlqProducer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({ eachMessage: (payload) => this.onMessage(payload) });
    // Zero is a real count: dead letters can be rated and alerted on before the first one.
    for (const topic of this.opts.topics) this.metrics.kafkaDeadLetters.inc({ topic }, 0);
    this.lag.start();
  }

  async stop(): Promise<void> {
    // A handler waiting for a dependency gives up now; its message stays uncommitted.
    this.stopping = true;
    await this.lag.stop();
    await this.consumer.disconnect();
    await this.dlqProducer.disconnect();
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const name = topic as T;
    const headers = message.headers ?? {};
    const meta: MessageMeta = { key: message.key?.toString() ?? null, headers, partition, offset: message.offset };
    const parentContext = extractTraceContext(headers);
    await tracer.startActiveSpan(
      `process ${topic}`,
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic } },
      parentContext,
      async (span) => {
        try {
          const parsed = decodeEvent(name, message.value);
          if (!parsed.ok) {
            await this.deadLetter(topic, partition, message, parsed.error);
            return;
          }
          try {
            // The handler acts for the event's project: its calls to peers carry that identity.
            const identity = serviceIdentity(`consumer:${this.opts.groupId}`, parsed.value.projectId);
            await retryHandler(() => runAs(identity, () => this.opts.handle(name, parsed.value, meta)), {
              maxAttempts: this.opts.maxAttempts,
              running: () => !this.stopping,
              heartbeat,
              logger: this.logger,
              where: { topic, partition },
            });
            this.metrics.kafkaMessagesConsumed.inc({ topic, outcome: 'processed' });
          } catch (err) {
            // A dependency still down as the consumer stops or rebalances: not the message's fault.
            if (!(err instanceof HandlerFailedError)) throw err;
            span.recordException(err.cause as Error);
            await this.deadLetter(topic, partition, message, err.message);
          }
        } finally {
          span.end();
        }
      },
    );
  }

  private async deadLetter(topic: string, partition: number, message: EachMessagePayload['message'], error: string): Promise<void> {
    await sendToDeadLetter(this.dlqProducer, { logger: this.logger, metrics: this.metrics }, [{ topic, partition, message, error }]);
  }
}

export type DecodedEvent<T extends TopicName> = { ok: true; value: TopicValue<T> } | { ok: false; error: string };

/** Parses a message value as JSON and validates it against the topic's schema in the contracts map. */
export function decodeEvent<T extends TopicName>(topic: T, raw: Buffer | null): DecodedEvent<T> {
  if (!raw) return { ok: false, error: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, error: 'value is not valid JSON' };
  }
  const result = topics[topic].schema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
    return { ok: false, error: `value does not match ${topic}: ${problems}` };
  }
  return { ok: true, value: result.data as TopicValue<T> };
}
