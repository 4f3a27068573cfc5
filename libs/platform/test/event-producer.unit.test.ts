// EventProducer against a fake kafkajs producer: calls made while a produce request is in flight
// share the next request, in order, and each call settles with the request that carried it.
import type { Kafka, ProducerBatch } from 'kafkajs';
import { createMetrics, EventProducer, type OutgoingEvent } from '../src';

function fakeKafka() {
  const requests: ProducerBatch[] = [];
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: (batch: ProducerBatch) => {
      requests.push(batch);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, requests, pending };
}

const event = (n: number): OutgoingEvent => ({ topic: 'feedback.submitted.v1', key: `k${n}`, value: `{"n":${n}}`, headers: {} });
const tick = () => new Promise((r) => setImmediate(r));
const keys = (b: ProducerBatch) => b.topicMessages!.flatMap((t) => t.messages.map((m) => m.key));

test('calls made while a request is in flight share the next one, in order', async () => {
  const { kafka, requests, pending } = fakeKafka();
  const producer = new EventProducer(kafka, createMetrics('test'));
  const settled: string[] = [];
  const a = producer.send([event(1), event(2)]).then(() => settled.push('a'));
  await tick();
  const b = producer.send([event(3)]).then(() => settled.push('b'));
  const c = producer.send([event(4), event(5)]).then(() => settled.push('c'));
  await tick();
  expect(requests.map(keys)).toEqual([['k1', 'k2']]);
  pending.shift()!.resolve();
  await a;
  await tick();
  expect(requests.map(keys)).toEqual([['k1', 'k2'], ['k3', 'k4', 'k5']]);
  expect(requests[1]!.acks).toBe(-1);
  expect(settled).toEqual(['a']);
  pending.shift()!.resolve();
  await Promise.all([b, c]);
  expect(settled).toEqual(['a', 'b', 'c']);
});

test('a failed request rejects every call it carried, and later calls still go out', async () => {
  const { kafka, requests, pending } = fakeKafka();
  const producer = new EventProducer(kafka, createMetrics('test'));
  const a = producer.send([event(1)]);
  await tick();
  const b = producer.send([event(2)]);
  const c = producer.send([event(3)]);
  pending.shift()!.resolve();
  await a;
  await tick();
  pending.shift()!.reject(new Error('broker gone'));
  await expect(b).rejects.toThrow('broker gone');
  await expect(c).rejects.toThrow('broker gone');
  const d = producer.send([event(4)]);
  await tick();
  expect(requests.map(keys)).toEqual([['k1'], ['k2', 'k3'], ['k4']]);
  pending.shift()!.resolve();
  await expect(d).resolves.toBeUndefined();
  await expect(producer.send([])).resolves.toBeUndefined();
  expect(requests).toHaveLength(3);
});

test('a call made as soon as the previous one settles goes out (a publisher sending its chunks one after another)', async () => {
  const { kafka, requests, pending } = fakeKafka();
  const producer = new EventProducer(kafka, createMetrics('test'));
  // Resolve every request as it is made, on the next tick.
  const answer = setInterval(() => pending.shift()?.resolve(), 1);
  try {
    // The second send is made in the continuation of the first, before anything else runs.
    const sequential = (async () => {
      for (let n = 1; n <= 3; n++) await producer.send([event(n)]);
    })();
    const outcome = await Promise.race([sequential.then(() => 'sent'), new Promise((r) => setTimeout(() => r('stuck'), 1_000))]);
    expect(outcome).toBe('sent');
    expect(requests.map(keys)).toEqual([['k1'], ['k2'], ['k3']]);
  } finally {
    clearInterval(answer);
  }
});
