// Typed, idempotent event producer: values are validated against the contracts topic map and
// keyed by the entity id the map names; the active trace context rides in the headers.
import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { topics, type TopicName, type TopicSpec, type TopicValue } from '@llmops/contracts';
import type { Metrics } from '../metrics';
import { piiRedactionEnabled, redactPii } from '../redaction';
import { IdempotentProducer } from './idempotent-producer';
import { injectTraceHeaders } from './trace-headers';

/**
 * An event's value; the envelope's id and time are filled in. The project is required: an event
 * that forgot it would silently land in the default project (consumers read a missing one so only
 * for events from before projects).
 */
export type EventInput<T extends TopicName> = Omit<TopicValue<T>, 'eventId' | 'occurredAt'> & Partial<Pick<TopicValue<T>, 'eventId' | 'occurredAt'>>;

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

/** Merged calls stay under this many bytes of values per produce request (one call alone may exceed it). */
const maxMergedBytes = 512 * 1024;

export class EventProducer {
  private readonly producer: IdempotentProducer;
  private readonly queue: Array<{ events: OutgoingEvent[]; bytes: number; resolve: () => void; reject: (err: unknown) => void }> = [];
  /** Whether drain() is running; set and cleared by drain() itself, synchronously. */
  private draining = false;

  constructor(kafka: Kafka, private readonly metrics: Metrics) {
    this.producer = new IdempotentProducer(kafka);
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

  /**
   * Sends already-encoded events (e.g. from an outbox), all acknowledged by every in-sync replica.
   * Calls made while a send is in flight are merged into the next produce request (the producer
   * has one request in flight at a time, as idempotence requires), so concurrent callers share
   * round trips to the broker instead of queueing one by one; each call settles with the request
   * that carried its events, and one call's events are never split.
   */
  send(events: OutgoingEvent[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, bytes: events.reduce((n, e) => n + e.value.length, 0), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /**
   * Sends the queued calls until none is left. The flag is cleared in the same synchronous step
   * that finds the queue empty: a caller resuming after its call settled, and sending again at
   * once, either finds its call taken by this loop or starts a new one (cleared later, e.g. in a
   * .finally(), that call would wait in the queue for ever).
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length) {
        // At least one call; more while the request stays well under the broker's 1 MiB batch limit.
        let bytes = this.queue[0]!.bytes;
        let n = 1;
        while (n < this.queue.length && bytes + this.queue[n]!.bytes <= maxMergedBytes) bytes += this.queue[n++]!.bytes;
        const calls = this.queue.splice(0, n);
        try {
          await this.sendNow(calls.flatMap((c) => c.events));
          for (const c of calls) c.resolve();
        } catch (err) {
          for (const c of calls) c.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async sendNow(events: OutgoingEvent[]): Promise<void> {
    const byTopic = new Map<string, OutgoingEvent[]>();
    for (const e of events) {
      const list = byTopic.get(e.topic);
      if (list) list.push(e);
      else byTopic.set(e.topic, [e]);
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((e) => ({ key: e.key, value: e.value, headers: e.headers })),
        })),
      });
      for (const [topic, list] of byTopic) this.metrics.kafkaMessagesProduced.inc({ topic, outcome: 'ok' }, list.length);
    } catch (err) {
      for (const [topic, list] of byTopic) this.metrics.kafkaMessagesProduced.inc({ topic, outcome: 'error' }, list.length);
      throw err;
    }
  }
}
