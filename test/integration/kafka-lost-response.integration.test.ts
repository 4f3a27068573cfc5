// A produce request that the broker wrote but whose response never came back (the broker died, the
// connection closed) must not cost the platform's producer the events it sends next. Before
// IdempotentProducer started over with a new producer id after such a failure, the broker took the
// next request, if it held as many events, for a retry of the written one and acknowledged it
// without writing it (lost), and refused every other one as OUT_OF_ORDER_SEQUENCE_NUMBER.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createMetrics, EventProducer, type OutgoingEvent } from '@llmops/platform';
import type { TopicName } from '@llmops/contracts';
import { integrationContext } from './context';
import { KafkaProbe } from './kafka-probe';
import { KafkaResponseDropper } from './kafka-response-dropper';

const ctx = integrationContext();
const topic = `it.lost-response.${randomUUID().slice(0, 8)}`;
const [host, port] = ctx.kafkaBrokers[0]!.split(':') as [string, string];
const dropper = new KafkaResponseDropper({ host, port: Number(port) });
const kafka = new Kafka({ clientId: 'it-lost-response', brokers: ctx.kafkaBrokers, socketFactory: dropper.socketFactory, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 2 } });
const admin = kafka.admin();
const producer = new EventProducer(kafka, createMetrics('it-lost-response'));
const probe = new KafkaProbe(ctx.kafkaBrokers);

beforeAll(async () => {
  await dropper.start();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await producer.connect();
});

afterAll(async () => {
  await probe.stop();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await dropper.close();
});

// The topic is the test's own, outside the contracts topic map that send() does not check.
const events = (...ns: number[]): OutgoingEvent[] => ns.map((n) => ({ topic: topic as TopicName, key: 'k', value: JSON.stringify({ n }), headers: {} }));

test('after a written request lost its response, the next requests are written, whatever their size', async () => {
  await producer.send(events(1, 2));

  dropper.dropProduceResponses = true;
  await expect(producer.send(events(3, 4, 5))).rejects.toThrow();
  dropper.dropProduceResponses = false;
  expect(dropper.droppedResponses).toBeGreaterThan(0);

  // Fewer events than the lost request (refused for ever before), as many (acknowledged, not written).
  await producer.send(events(6, 7));
  await producer.send(events(8, 9, 10));
  await producer.send(events(11));

  await probe.start([topic]);
  await probe.waitForMessage((m) => m.value['n'] === 11, 'the last event in the topic');
  const written = probe.messages.map((m) => m.value['n']);
  // 3-5 were written before their response was dropped (maybe more than once: the client retried).
  expect(written.filter((n) => ![3, 4, 5].includes(n as number))).toEqual([1, 2, 6, 7, 8, 9, 10, 11]);
  expect(new Set(written.filter((n) => [3, 4, 5].includes(n as number)))).toEqual(new Set([3, 4, 5]));
});
