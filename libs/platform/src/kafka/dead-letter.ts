// Sends a message that could not be processed to its topic's dead-letter topic, with its original
// key, value and headers plus why and where it failed (see docs/events.md).
import type { KafkaMessage } from 'kafkajs';
import { deadLetterTopicOf } from '@llmops/contracts';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { IdempotentProducer } from './idempotent-producer';

export async function sendToDeadLetter(
  producer: IdempotentProducer,
  deps: { logger: Logger; metrics: Metrics },
  failed: Array<{ topic: string; partition: number; message: KafkaMessage; error: string }>,
): Promise<void> {
  if (!failed.length) return;
  const byTopic = new Map<string, typeof failed>();
  for (const f of failed) {
    const dlq = deadLetterTopicOf(f.topic);
    deps.logger.warn({ topic: f.topic, partition: f.partition, offset: f.message.offset, dlq, error: f.error }, 'dead-lettering message');
    byTopic.set(dlq, [...(byTopic.get(dlq) ?? []), f]);
  }
  // If this send fails the caller throws, the offsets are not committed and the messages are retried.
  await producer.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([dlq, list]) => ({
      topic: dlq,
      messages: list.map(({ topic, partition, message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          'x-dlq-error': error,
          'x-dlq-original-topic': topic,
          'x-dlq-original-partition': String(partition),
          'x-dlq-original-offset': message.offset,
          'x-dlq-failed-at': new Date().toISOString(),
        },
      })),
    })),
  });
  for (const f of failed) {
    deps.metrics.kafkaMessagesConsumed.inc({ topic: f.topic, outcome: 'dead_lettered' });
    deps.metrics.kafkaDeadLetters.inc({ topic: f.topic });
  }
}
