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

test('servers stopping one after another share one drain budget: the grace less a margin, from the start of the shutdown', async () => {
  const lifecycle = new Lifecycle(logger, 30_000);
  expect(lifecycle.drainBudgetMs()).toBe(25_000);
  const budgets: number[] = [];
  lifecycle.onStop('second server', () => void budgets.push(lifecycle.drainBudgetMs()));
  lifecycle.onStop('first server', async () => {
    budgets.push(lifecycle.drainBudgetMs());
    await new Promise((r) => setTimeout(r, 300));
  });
  await lifecycle.shutdown('test');
  expect(budgets[0]).toBeGreaterThan(24_900);
  expect(budgets[1]).toBeLessThanOrEqual(budgets[0]! - 290);
  expect(new Lifecycle(logger, 3_000).drainBudgetMs()).toBe(1_000);
});
