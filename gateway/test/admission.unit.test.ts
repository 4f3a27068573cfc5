// Admission at the gateway: failed authentications per client address (behind trusted proxies,
// the address they saw), checked before the credentials are looked up, then the project's rate.
import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError, type Identity } from '@llmops/platform';
import { admission } from '../src/auth/admission';
import { clientAddress } from '../src/auth/client-address';
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

function setup(failuresPerMinute = 60, burst = 3) {
  let now = 0;
  let lookups = 0;
  const identity: Identity = { projectId: 'acme', subject: 'api-key:k', role: 'editor', via: 'api-key' };
  const admit = admission({
    // A request with `authorization: good` is acme's; anything else does not exist.
    authenticator: {
      authenticate: async (req) => {
        lookups++;
        if (req.headers.authorization === 'good') return identity;
        throw new UnauthenticatedError('the API key is not valid');
      },
    },
    failures: new AuthFailureLimiter(failuresPerMinute, burst, () => now),
    requests: new ProjectRateLimiter(0, 1),
    trustedProxyHops: 0,
  });
  return { admit, lookups: () => lookups, advance: (ms: number) => (now += ms) };
}

test('an address that keeps failing to authenticate is refused before its credentials are looked up; other addresses are not', async () => {
  const { admit, lookups, advance } = setup(60, 3);
  const bad = request('198.51.100.1', { authorization: 'nope' });
  for (let i = 0; i < 3; i++) await expect(admit(bad)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  expect(lookups()).toBe(3);
  await expect(admit(bad)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1, message: expect.stringMatching(/GATEWAY_AUTH_FAILURES_PER_MINUTE/) });
  // Even with good credentials, until the bucket refills: the address is not looked up at all.
  await expect(admit(request('198.51.100.1', { authorization: 'good' }))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  expect(lookups()).toBe(3);
  expect(await admit(request('198.51.100.2', { authorization: 'good' }))).toMatchObject({ projectId: 'acme' });
  advance(1_000); // one failure per second refills
  expect(await admit(request('198.51.100.1', { authorization: 'good' }))).toMatchObject({ projectId: 'acme' });
});

test('successful authentications spend nothing, and 0 turns the failure limit off', async () => {
  const { admit } = setup(60, 1);
  for (let i = 0; i < 10; i++) await admit(request('198.51.100.1', { authorization: 'good' }));
  const off = setup(0, 1);
  for (let i = 0; i < 10; i++) await expect(off.admit(request('198.51.100.1'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
});

test('the failure limiter remembers at most 10,000 addresses, forgetting the least recently failed', () => {
  const limiter = new AuthFailureLimiter(1, 1, () => 0);
  limiter.failed('198.51.100.1');
  expect(() => limiter.check('198.51.100.1')).toThrow(/failed authentications/);
  for (let i = 0; i < 10_000; i++) limiter.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  expect(() => limiter.check('198.51.100.1')).not.toThrow();
  expect(() => limiter.check('10.0.39.15')).toThrow(/failed authentications/); // the last one is still remembered
});
