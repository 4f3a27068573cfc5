// IdempotentProducer against fake kafkajs producers: a failed send or connect retires the producer,
// and the next send goes through a new one (a new producer id), connected first.
import type { Kafka, ProducerBatch } from 'kafkajs';
import { IdempotentProducer } from '../src';

function fakeKafka() {
  const log: string[] = [];
  const outcomes: Array<'ok' | 'fail'> = [];
  let connectFails = false;
  let made = 0;
  const kafka = {
    producer: (config: { idempotent?: boolean; maxInFlightRequests?: number }) => {
      const n = ++made;
      log.push(`new ${n} idempotent=${config.idempotent} maxInFlight=${config.maxInFlightRequests}`);
      return {
        connect: async () => {
          log.push(`connect ${n}`);
          if (connectFails) throw new Error('broker down');
        },
        disconnect: async () => void log.push(`disconnect ${n}`),
        sendBatch: async (batch: ProducerBatch) => {
          log.push(`send ${n} ${batch.topicMessages![0]!.messages[0]!.value}`);
          if (outcomes.shift() === 'fail') throw new Error('Closed connection');
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, log, outcomes, failConnect: (v: boolean) => (connectFails = v) };
}

const batch = (value: string): ProducerBatch => ({ acks: -1, topicMessages: [{ topic: 't', messages: [{ value }] }] });

test('one producer, connected once, while sends succeed', async () => {
  const { kafka, log } = fakeKafka();
  const p = new IdempotentProducer(kafka);
  await p.connect();
  await p.sendBatch(batch('a'));
  await p.sendBatch(batch('b'));
  expect(log).toEqual(['new 1 idempotent=true maxInFlight=1', 'connect 1', 'send 1 a', 'send 1 b']);
});

test('after a failed send the next one goes through a new, connected producer', async () => {
  const { kafka, log, outcomes } = fakeKafka();
  const p = new IdempotentProducer(kafka);
  outcomes.push('ok', 'fail', 'ok');
  await p.sendBatch(batch('a'));
  await expect(p.sendBatch(batch('b'))).rejects.toThrow('Closed connection');
  await p.sendBatch(batch('c'));
  expect(log).toEqual([
    'new 1 idempotent=true maxInFlight=1',
    'connect 1',
    'send 1 a',
    'send 1 b',
    'new 2 idempotent=true maxInFlight=1',
    'disconnect 1',
    'connect 2',
    'send 2 c',
  ]);
});

test('a failed connect is retried on a new producer by the next send', async () => {
  const { kafka, log, failConnect } = fakeKafka();
  const p = new IdempotentProducer(kafka);
  failConnect(true);
  await expect(p.sendBatch(batch('a'))).rejects.toThrow('broker down');
  failConnect(false);
  await p.sendBatch(batch('b'));
  expect(log.filter((l) => !l.startsWith('new'))).toEqual(['connect 1', 'disconnect 1', 'connect 2', 'send 2 b']);
});

test('concurrent sends that fail together retire their producer once', async () => {
  const { kafka, log, outcomes } = fakeKafka();
  const p = new IdempotentProducer(kafka);
  await p.connect();
  outcomes.push('fail', 'fail');
  await Promise.all([expect(p.sendBatch(batch('a'))).rejects.toThrow(), expect(p.sendBatch(batch('b'))).rejects.toThrow()]);
  await p.sendBatch(batch('c'));
  expect(log.filter((l) => l.startsWith('new'))).toHaveLength(2);
  expect(log.at(-1)).toBe('send 2 c');
});

test('after disconnect, sends are refused and no producer is made', async () => {
  const { kafka, log } = fakeKafka();
  const p = new IdempotentProducer(kafka);
  await p.connect();
  await p.disconnect();
  await expect(p.sendBatch(batch('a'))).rejects.toThrow('the Kafka producer is disconnected');
  expect(log).toEqual(['new 1 idempotent=true maxInFlight=1', 'connect 1', 'disconnect 1']);
});
