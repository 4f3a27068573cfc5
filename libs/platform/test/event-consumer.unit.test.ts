// EventConsumer against a fake kafkajs: a handler whose dependency is down (UnavailableError) is
// waited out, never dead-lettered; one that keeps failing otherwise is dead-lettered after its
// attempts; a wait ends, without a dead letter, when the consumer stops or its group rebalances.
import { randomUUID } from 'node:crypto';
import type { EachMessagePayload, Kafka } from 'kafkajs';
import { deadLetterTopicOf } from '@llmops/contracts';
import { createLogger, createMetrics, EventConsumer, UnavailableError } from '../src';

const topic = 'prompt.alias.moved.v1' as const;

function fakeKafka() {
  const deadLetters: string[] = [];
  let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
  let heartbeatFails = false;
  const consumer = {
    events: {},
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachMessage: (p: EachMessagePayload) => Promise<void> }) => void (eachMessage = config.eachMessage),
    disconnect: async () => undefined,
  };
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async (batch: { topicMessages: Array<{ topic: string; messages: unknown[] }> }) => {
      for (const t of batch.topicMessages) for (let i = 0; i < t.messages.length; i++) deadLetters.push(t.topic);
      return [];
    },
  };
  const kafka = { consumer: () => consumer, producer: () => producer, admin: () => ({ connect: async () => undefined, disconnect: async () => undefined }) } as unknown as Kafka;
  const deliver = () => {
    const value = {
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      projectId: 'default',
      promptId: randomUUID(),
      promptName: 'p',
      alias: 'production',
      fromVersion: null,
      toVersion: 1,
      toVersionId: randomUUID(),
      movedBy: null,
    };
    return eachMessage!({
      topic,
      partition: 0,
      message: { key: null, value: Buffer.from(JSON.stringify(value)), headers: {}, offset: '0', timestamp: '0', attributes: 0 },
      heartbeat: async () => {
        if (heartbeatFails) throw new Error('The group is rebalancing, so a rejoin is needed');
      },
      pause: () => () => undefined,
    } as EachMessagePayload);
  };
  return { kafka, deadLetters, deliver, rebalance: () => (heartbeatFails = true) };
}

function consumerWith(kafka: Kafka, handle: () => Promise<void>, maxAttempts = 3) {
  return new EventConsumer(kafka, { groupId: 'g', topics: [topic], handle, maxAttempts, lagIntervalMs: 3_600_000 }, createLogger('test', 'silent'), createMetrics('test'));
}

test('a handler whose dependency is down is retried until it is back, past maxAttempts, and nothing is dead-lettered', async () => {
  const { kafka, deadLetters, deliver } = fakeKafka();
  let calls = 0;
  const consumer = consumerWith(kafka, async () => {
    if (++calls <= 6) throw new UnavailableError('postgresql');
  });
  await consumer.start();
  await deliver();
  expect(calls).toBe(7);
  expect(deadLetters).toEqual([]);
  await consumer.stop();
});

test('a handler that keeps failing otherwise is dead-lettered after maxAttempts', async () => {
  const { kafka, deadLetters, deliver } = fakeKafka();
  let calls = 0;
  const consumer = consumerWith(kafka, async () => {
    calls++;
    throw new Error('bad row');
  });
  await consumer.start();
  await deliver();
  expect(calls).toBe(3);
  expect(deadLetters).toEqual([deadLetterTopicOf(topic)]);
  await consumer.stop();
});

test('a wait for a dependency ends when the consumer stops: the message stays unhandled, not dead-lettered', async () => {
  const { kafka, deadLetters, deliver } = fakeKafka();
  const consumer = consumerWith(kafka, async () => {
    throw new UnavailableError('postgresql');
  });
  await consumer.start();
  const handled = deliver();
  await new Promise((r) => setTimeout(r, 300));
  await consumer.stop();
  await expect(handled).rejects.toBeInstanceOf(UnavailableError);
  expect(deadLetters).toEqual([]);
});

test('a wait for a dependency ends when a heartbeat is refused (rebalance), with the heartbeat error for kafkajs', async () => {
  const { kafka, deadLetters, deliver, rebalance } = fakeKafka();
  const consumer = consumerWith(kafka, async () => {
    throw new UnavailableError('postgresql');
  });
  await consumer.start();
  rebalance();
  await expect(deliver()).rejects.toThrow('rejoin is needed');
  expect(deadLetters).toEqual([]);
  await consumer.stop();
});
