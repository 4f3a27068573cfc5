// kafkajs 2.2.4's request queue, before and after the platform's fix (src/kafka/idle-loop-fix.ts):
// before it, a queue with nothing to do keeps a timer scheduled (the 1 ms loop); after it, none,
// while throttled or waiting requests are still checked on kafkajs's own schedule.
import { createRequire } from 'node:module';
import { fixKafkaJsIdleLoop } from '../src/kafka/idle-loop-fix';

const load = createRequire(require.resolve('../src/kafka/idle-loop-fix'));
const RequestQueue = load('kafkajs/src/network/requestQueue') as new (opts: Record<string, unknown>) => Queue;

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  sendSocketRequest(request: unknown): void;
  destroy(): void;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const queue = (maxInFlightRequests = 1) =>
  new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: true, clientId: 'test', broker: 'localhost:9092', logger: silent });

test('unfixed, an idle queue keeps a timer scheduled after every check', () => {
  const q = queue();
  q.checkPendingRequests();
  expect(q.throttleCheckTimeoutId).not.toBeNull();
  q.destroy();
});

describe('fixed', () => {
  beforeAll(() => {
    expect(fixKafkaJsIdleLoop()).toBe(true);
    expect(fixKafkaJsIdleLoop()).toBe(true); // applying it twice is harmless
  });

  test('an idle queue schedules nothing', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  test('a throttled queue is checked when the throttle ends, then goes quiet', async () => {
    const q = queue();
    q.throttledUntil = Date.now() + 30;
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((r) => setTimeout(r, 60));
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  test('a request waiting out a throttle is sent when it ends', async () => {
    const q = queue();
    const sent: unknown[] = [];
    q.sendSocketRequest = (request) => sent.push(request);
    q.throttledUntil = Date.now() + 30;
    q.pending.push({ correlationId: 1 });
    q.checkPendingRequests();
    expect(sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(sent).toEqual([{ correlationId: 1 }]);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });
});
