import pino from 'pino';
import { Lifecycle } from '../src';

const logger = pino({ level: 'silent' });

test('stops run once, in reverse order of registration, even when one fails', async () => {
  const lifecycle = new Lifecycle(logger);
  const order: string[] = [];
  lifecycle.onStop('database', () => void order.push('database'));
  lifecycle.onStop('broken', () => {
    order.push('broken');
    throw new Error('boom');
  });
  lifecycle.onStop('http', async () => void order.push('http'));
  await Promise.all([lifecycle.shutdown('test'), lifecycle.shutdown('again')]);
  expect(order).toEqual(['http', 'broken', 'database']);
  expect(lifecycle.readiness()).toEqual({ ready: false, checks: { shutdown: 'draining' } });
});

test('a dependency is not ready until it connects, and readiness says why', async () => {
  const lifecycle = new Lifecycle(logger);
  let attempts = 0;
  const connected = lifecycle.dependency('kafka', async () => {
    attempts++;
    if (attempts < 3) throw new Error('ECONNREFUSED');
  });
  expect(lifecycle.readiness()).toEqual({ ready: false, checks: { kafka: 'connecting' } });
  await connected;
  expect(attempts).toBe(3);
  expect(lifecycle.readiness()).toEqual({ ready: true, checks: { kafka: 'ok' } });
  await lifecycle.shutdown('test');
});
