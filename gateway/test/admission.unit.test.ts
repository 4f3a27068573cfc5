// Admission at the gateway: failed authentications per client address (behind trusted proxies,
// the address they saw), checked before the credentials are looked up, then the project's rate.
import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError, type Identity } from '@llmops/platform';
import { admission } from '../src/auth/admission';
import { issueApiKey } from '../src/auth/api-key';
import { Authenticator } from '../src/auth/authenticator';
import type { ApiKeyRecord } from '../src/auth/identity-store.pg';
import { clientAddress, limitKey } from '../src/auth/client-address';
import { AuthFailureLimiter, ProjectRateLimiter } from '../src/auth/rate-limiter';

const request = (peer: string, headers: Record<string, string | string[]> = {}) => ({ headers, socket: { remoteAddress: peer } }) as unknown as IncomingMessage;

test('the client address is the socket peer, or behind N trusted proxies the N-th X-Forwarded-For entry from the right', () => {
  const spoofed = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.9' };
  expect(clientAddress(request('10.0.0.2', spoofed), 0)).toBe('10.0.0.2');
  // One proxy (the ingress at 10.0.0.2) appended what it saw: 10.0.0.9; what the client sent before is not trusted.
  expect(clientAddress(request('10.0.0.2', spoofed), 1)).toBe('10.0.0.9');
  expect(clientAddress(request('10.0.0.2', spoofed), 2)).toBe('203.0.113.7');
  expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': ['203.0.113.7', '10.0.0.9'] }), 2)).toBe('203.0.113.7');
  // Fewer entries than proxies: the leftmost there is.
  expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }), 3)).toBe('203.0.113.7');
  expect(clientAddress(request('10.0.0.2'), 1)).toBe('10.0.0.2');
});

test('an IPv6 client is limited by its /64, an IPv4-mapped one by its IPv4 address', () => {
  expect(limitKey('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
  expect(limitKey('2001:db8:aa:bb::9')).toBe('2001:db8:aa:bb::/64');
  expect(limitKey('2001:DB8:00aa::1%eth0')).toBe('2001:db8:aa:0::/64');
  expect(limitKey('::1')).toBe('0:0:0:0::/64');
  expect(limitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(limitKey('203.0.113.7')).toBe('203.0.113.7');
  expect(limitKey('unknown')).toBe('unknown');
});

function setup(failuresPerMinute = 60, burst = 3) {
  let now = 0;
  let lookups = 0;
  const identity: Identity = { projectId: 'acme', subject: 'api-key:k', role: 'editor', via: 'api-key' };
  const admit = admission({
    // `authorization: good` is acme's key, `cached` a key the authenticator verifies from its cache,
    // `malformed` refused without a lookup; anything else is looked up and does not exist.
    authenticator: {
      authenticate: async (req, hooks = {}) => {
        const credentials = req.headers.authorization;
        if (credentials === 'cached') return identity;
        if (credentials === 'malformed') throw new UnauthenticatedError('the API key is malformed');
        hooks.beforeLookup?.();
        lookups++;
        await new Promise((r) => setImmediate(r));
        if (credentials === 'good') return identity;
        throw new UnauthenticatedError('the API key is not valid');
      },
    },
    failures: new AuthFailureLimiter(failuresPerMinute, burst, () => now),
    requests: new ProjectRateLimiter(0, 1),
    trustedProxyHops: 0,
  });
  return { admit, lookups: () => lookups, advance: (ms: number) => (now += ms) };
}

test('an address that keeps failing to authenticate is refused lookups; cached credentials and other addresses still pass', async () => {
  const { admit, lookups, advance } = setup(60, 3);
  const bad = request('198.51.100.1', { authorization: 'nope' });
  for (let i = 0; i < 3; i++) await expect(admit(bad)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  expect(lookups()).toBe(3);
  await expect(admit(bad)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1, message: expect.stringMatching(/GATEWAY_AUTH_FAILURES_PER_MINUTE/) });
  // Good credentials that need a lookup wait too, until the bucket refills; cached ones need none.
  await expect(admit(request('198.51.100.1', { authorization: 'good' }))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  expect(lookups()).toBe(3);
  expect(await admit(request('198.51.100.1', { authorization: 'cached' }))).toMatchObject({ projectId: 'acme' });
  expect(await admit(request('198.51.100.2', { authorization: 'good' }))).toMatchObject({ projectId: 'acme' });
  advance(1_000); // one failure per second refills
  expect(await admit(request('198.51.100.1', { authorization: 'good' }))).toMatchObject({ projectId: 'acme' });
});

test('concurrent lookups from one address cannot pass on its last tokens', async () => {
  const { admit, lookups } = setup(60, 3);
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => admit(request('198.51.100.1', { authorization: 'nope' }))));
  const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
  expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(3);
  expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
  expect(lookups()).toBe(3);
});

test('good credentials spend nothing, nor do refusals that need no lookup; 0 turns the limit off', async () => {
  const { admit, lookups } = setup(60, 2);
  for (let i = 0; i < 5; i++) await admit(request('198.51.100.1', { authorization: 'good' }));
  for (let i = 0; i < 5; i++) await expect(admit(request('198.51.100.1', { authorization: 'malformed' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  expect(await admit(request('198.51.100.1', { authorization: 'good' }))).toMatchObject({ projectId: 'acme' });
  expect(lookups()).toBe(6);
  const off = setup(0, 1);
  for (let i = 0; i < 10; i++) await expect(off.admit(request('198.51.100.1', { authorization: 'nope' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
});

test('many requests with one key whose cache entry expired share one lookup and one token', async () => {
  const issued = issueApiKey();
  const record: ApiKeyRecord = { id: issued.id, projectId: 'acme', name: 'ci', role: 'editor', secretHash: issued.secretHash, createdAt: new Date(), revokedAt: null };
  let lookups = 0;
  const authenticator = new Authenticator({
    required: true,
    store: { findApiKey: async () => (lookups++, await new Promise((r) => setTimeout(r, 20)), record), projectExists: async () => true },
    jwt: null,
    cacheMs: 5_000,
  });
  const admit = admission({ authenticator, failures: new AuthFailureLimiter(60, 1), requests: new ProjectRateLimiter(0, 1), trustedProxyHops: 0 });
  const all = await Promise.all(Array.from({ length: 20 }, () => admit(request('198.51.100.1', { authorization: `Bearer ${issued.key}` }))));
  expect(all.every((i) => i.projectId === 'acme')).toBe(true);
  expect(lookups).toBe(1);
});

test('the failure limiter remembers at most 10,000 addresses, forgetting the least recently failed', () => {
  const limiter = new AuthFailureLimiter(1, 1, () => 0);
  limiter.take('198.51.100.1');
  expect(() => limiter.take('198.51.100.1')).toThrow(/failed authentications/);
  for (let i = 0; i < 10_000; i++) limiter.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  expect(() => limiter.take('198.51.100.1')).not.toThrow();
  expect(() => limiter.take('10.0.39.15')).toThrow(/failed authentications/); // the last one is still remembered
});
