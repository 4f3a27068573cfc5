// A project's daily token budget: its own budget wins over the service default, usage resets at
// UTC midnight, and a call whose worst case does not fit is refused with RATE_LIMITED.
import { RateLimitedError } from '@llmops/platform';
import { TokenBudget } from '../src/domain/token-budget';
import { MemoryTokenUsageStore } from './fakes';

const at = new Date('2026-11-28T22:00:00Z');
const budget = (store: MemoryTokenUsageStore, defaultPerDay = 0) => new TokenBudget(store, defaultPerDay, 'acme', () => at);

test('without a default or an own budget, every call is admitted', async () => {
  const store = new MemoryTokenUsageStore();
  store.use('2026-11-28', 1e9);
  await expect(budget(store).admit(1e9)).resolves.toBeUndefined();
  expect(await budget(store).status()).toMatchObject({ tokensPerDay: null, remainingToday: null, usedToday: 1e9, projectSpecific: false });
});

test('a call is admitted while its worst case fits, refused with the time to midnight once it does not', async () => {
  const store = new MemoryTokenUsageStore();
  store.use('2026-11-28', 900);
  store.use('2026-11-27', 5_000); // yesterday's usage does not count
  await expect(budget(store, 1_000).admit(100)).resolves.toBeUndefined();
  const refused = await budget(store, 1_000).admit(101).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RateLimitedError);
  expect(refused).toMatchObject({
    code: 'RATE_LIMITED',
    retryAfterSeconds: 2 * 3600,
    details: { budget: 'tokens', projectId: 'acme', tokensPerDay: 1_000, usedToday: 900, requestedTokens: 101 },
  });
  expect((refused as Error).message).toMatch(/project acme has used 900 of its 1000 tokens today/);
});

test("an admin's budget for the project replaces the default; removing it brings the default back", async () => {
  const store = new MemoryTokenUsageStore();
  store.use('2026-11-28', 400);
  const b = budget(store, 1_000);
  expect(await b.set(500, 'key:admin')).toEqual({
    tokensPerDay: 500,
    projectSpecific: true,
    usedToday: 400,
    remainingToday: 100,
    resetsAt: new Date('2026-11-29T00:00:00Z'),
  });
  await expect(b.admit(101)).rejects.toBeInstanceOf(RateLimitedError);
  expect(await b.set(null, 'key:admin')).toMatchObject({ tokensPerDay: 1_000, projectSpecific: false, remainingToday: 600 });
});

test('a budget that is not a positive whole number is a typed error naming the field', async () => {
  for (const bad of [0, -5, 1.5, 2e12]) {
    await expect(budget(new MemoryTokenUsageStore()).set(bad, 'x')).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'tokensPerDay' });
  }
});
