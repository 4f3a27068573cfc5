// Typed, idempotent event producer: values are validated against the contracts topic map and
// keyed by the entity id the map names; the active trace context rides in the headers.
import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { topics, type TopicName, type TopicSpec, type TopicValue } from '@llmops/contracts';
import type { Metrics } from '../metrics';
import { piiRedactionEnabled, redactPii } from '../redaction';
import { injectTraceHeaders } from './trace-headers';

/** An event's value; the envelope's id and time are filled in, the project defaults to `default`. */
export type EventInput<T extends TopicName> = Omit<TopicValue<T>, 'eventId' | 'occurredAt' | 'projectId'> &
  Partial<Pick<TopicValue<T>, 'eventId' | 'occurredAt' | 'projectId'>>;

export interface OutgoingEvent {
  topic: TopicName;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Validates and serialises an event; fills eventId and occurredAt when absent. With REDACT_PII the
 * fields the topic map lists as personal data are masked (see redaction.ts).
 */
export function encodeEvent<T extends TopicName>(topic: T, input: EventInput<T>, headers = injectTraceHeaders()): OutgoingEvent {
  const spec = topics[topic];
  const value = spec.schema.parse({ eventId: randomUUID(), occurredAt: new Date().toISOString(), ...input }) as Record<string, unknown>;
  if (piiRedactionEnabled()) redactPersonalFields(value, (spec as TopicSpec).personalData ?? []);
  return { topic, key: String(value[spec.key]), value: JSON.stringify(value), headers };
}

function redactPersonalFields(value: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    const v = value[field];
    if (typeof v === 'string') value[field] = redactPii(v);
    else if (Array.isArray(v)) value[field] = v.map((x: unknown) => (typeof x === 'string' ? redactPii(x) : x));
  }
}

export class EventProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka, private readonly metrics: Metrics) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async publish<T extends TopicName>(topic: T, input: EventInput<T>): Promise<void> {
    await this.send([encodeEvent(topic, input)]);
  }

  /** Sends already-encoded events (e.g. from an outbox), all acknowledged by every in-sync replica. */
  async send(events: OutgoingEvent[]): Promise<void> {
    const byTopic = new Map<string, OutgoingEvent[]>();
    for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
    try {
      await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((e) => ({ key: e.key, value: e.value, headers: e.headers })),
        })),
      });
      for (const e of events) this.metrics.kafkaMessagesProduced.inc({ topic: e.topic, outcome: 'ok' });
    } catch (err) {
      for (const e of events) this.metrics.kafkaMessagesProduced.inc({ topic: e.topic, outcome: 'error' });
      throw err;
    }
  }
}
