// EventConsumer and EventBatchConsumer against a fake kafkajs: a handler whose dependency is down
// (UnavailableError) is waited out, never dead-lettered; one that keeps failing otherwise is
// dead-lettered after its attempts (a batch's messages one by one, so only the failing ones); a
// wait ends, without a dead letter, when the consumer stops or its group rebalances.
import { randomUUID } from 'node:crypto';
import type { EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { deadLetterTopicOf } from '@llmops/contracts';
import { createLogger, createMetrics, EventBatchConsumer, EventConsumer, UnavailableError } from '../src';

const topic = 'prompt.alias.moved.v1' as const;

function fakeKafka() {
  const deadLetters: string[] = [];
  let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  let heartbeatFails = false;
  const consumer = {
    events: {},
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachMessage?: (p: EachMessagePayload) => Promise<void>; eachBatch?: (p: EachBatchPayload) => Promise<void> }) => {
      eachMessage = config.eachMessage;
      eachBatch = config.eachBatch;
    },
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
  const heartbeat = async () => {
    if (heartbeatFails) throw new Error('The group is rebalancing, so a rejoin is needed');
  };
  const messageOf = (offset: number, promptName = 'p'): KafkaMessage => {
    const value = {
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      projectId: 'default',
      promptId: randomUUID(),
      promptName,
      alias: 'production',
      fromVersion: null,
      toVersion: 1,
      toVersionId: randomUUID(),
      movedBy: null,
    };
    return { key: null, value: Buffer.from(JSON.stringify(value)), headers: {}, offset: String(offset), timestamp: '0', attributes: 0 } as KafkaMessage;
  };
  const deliver = () => eachMessage!({ topic, partition: 0, message: messageOf(0), heartbeat, pause: () => () => undefined } as EachMessagePayload);
  /** Delivers one batch of messages for these prompt names; resolves with the offsets resolved. */
  const deliverBatch = async (promptNames: string[]) => {
    const resolved: string[] = [];
    await eachBatch!({
      batch: { topic, partition: 0, messages: promptNames.map((name, i) => messageOf(i, name)) },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat,
      commitOffsetsIfNecessary: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    return resolved;
  };
  return { kafka, deadLetters, deliver, deliverBatch, rebalance: () => (heartbeatFails = true) };
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

test('PostgreSQL out of reach is a dependency down even when the handler throws pg\'s own error', async () => {
  const { kafka, deadLetters, deliver } = fakeKafka();
  let calls = 0;
  const consumer = consumerWith(kafka, async () => {
    if (++calls <= 4) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  await consumer.start();
  await deliver();
  expect(calls).toBe(5);
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

describe('EventBatchConsumer', () => {
  type Events = Parameters<ConstructorParameters<typeof EventBatchConsumer>[1]['handleBatch']>[1];
  const batchConsumerWith = (kafka: Kafka, handleBatch: (events: Events) => Promise<void>) =>
    new EventBatchConsumer(
      kafka,
      { groupId: 'g', topics: [topic], handleBatch: (_topic, events) => handleBatch(events), maxAttempts: 2, lagIntervalMs: 3_600_000 },
      createLogger('test', 'silent'),
      createMetrics('test'),
    );
  const names = (events: Events) => events.map((e) => (e.value as { promptName: string }).promptName);

  test('a chunk that keeps failing is handled message by message: only the failing one is dead-lettered', async () => {
    const { kafka, deadLetters, deliverBatch } = fakeKafka();
    const handled: string[] = [];
    const consumer = batchConsumerWith(kafka, async (events) => {
      if (names(events).includes('bad')) throw new Error('bad row');
      handled.push(...names(events));
    });
    await consumer.start();
    expect(await deliverBatch(['a', 'bad', 'c'])).toEqual(['2']);
    expect(handled).toEqual(['a', 'c']);
    expect(deadLetters).toEqual([deadLetterTopicOf(topic)]);
    await consumer.stop();
  });

  test('a dependency that is down is waited out past maxAttempts, nothing dead-lettered', async () => {
    const { kafka, deadLetters, deliverBatch } = fakeKafka();
    let calls = 0;
    const consumer = batchConsumerWith(kafka, async () => {
      if (++calls <= 5) throw new UnavailableError('postgresql');
    });
    await consumer.start();
    expect(await deliverBatch(['a', 'b'])).toEqual(['1']);
    expect(calls).toBe(6);
    expect(deadLetters).toEqual([]);
    await consumer.stop();
  });

  test('a wait for a dependency ends when a heartbeat is refused (rebalance): nothing resolved or dead-lettered, the error for kafkajs', async () => {
    const { kafka, deadLetters, deliverBatch, rebalance } = fakeKafka();
    const consumer = batchConsumerWith(kafka, async () => {
      throw new UnavailableError('postgresql');
    });
    await consumer.start();
    rebalance();
    await expect(deliverBatch(['a', 'b'])).rejects.toThrow('rejoin is needed');
    expect(deadLetters).toEqual([]);
    await consumer.stop();
  });
});
