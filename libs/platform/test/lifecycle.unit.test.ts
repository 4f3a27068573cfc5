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

test('servers drain side by side at the start of the shutdown, within the grace less a margin; then the stops run', async () => {
  const lifecycle = new Lifecycle(logger, 30_000);
  expect(lifecycle.drainBudgetMs()).toBe(25_000);
  const events: string[] = [];
  const budgets: number[] = [];
  lifecycle.onStop('database', () => void events.push('database stopped'));
  for (const name of ['grpc', 'http']) {
    lifecycle.onDrain(name, async () => {
      budgets.push(lifecycle.drainBudgetMs());
      events.push(`${name} draining`);
      await new Promise((r) => setTimeout(r, 300));
      events.push(`${name} drained`);
    });
  }
  await lifecycle.shutdown('test');
  expect(events).toEqual(['grpc draining', 'http draining', 'grpc drained', 'http drained', 'database stopped']);
  // Both got the whole budget: neither waited for the other.
  for (const b of budgets) expect(b).toBeGreaterThan(24_900);
  expect(new Lifecycle(logger, 3_000).drainBudgetMs()).toBe(1_000);
});

test('drainDeadline aborts 2 s before the drain budget runs out, or as soon as the servers have drained', async () => {
  // Grace 8.5 s: 3.5 s to drain, the deadline 1.5 s after the shutdown starts.
  const slow = new Lifecycle(logger, 8_500);
  let abortedAfter: number | null = null;
  slow.onDrain('server', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => slow.drainDeadline.addEventListener('abort', () => resolve()));
    abortedAfter = Date.now() - started;
  });
  expect(slow.drainDeadline.aborted).toBe(false);
  await slow.shutdown('test');
  expect(abortedAfter).toBeGreaterThanOrEqual(1_400);
  expect(abortedAfter).toBeLessThan(2_500);

  const quick = new Lifecycle(logger, 60_000);
  quick.onDrain('idle server', () => undefined);
  await quick.shutdown('test');
  expect(quick.drainDeadline.aborted).toBe(true);
});
