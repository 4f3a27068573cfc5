// The gateway's authentication with a fake key store (the project's own port): API keys, their
// revocation, the anonymous development mode, and the per-project rate limit.
import type { IncomingMessage } from 'node:http';
import { hashSecret, issueApiKey, parseApiKey, secretMatches } from '../src/auth/api-key';
import { Authenticator } from '../src/auth/authenticator';
import type { ApiKeyRecord } from '../src/auth/identity-store.pg';
import type { JwtVerifier } from '../src/auth/jwt';
import { ProjectRateLimiter } from '../src/auth/rate-limiter';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

function setup(required: boolean, jwt: JwtVerifier | null = null) {
  const issued = issueApiKey();
  const records = new Map<string, ApiKeyRecord>([
    [issued.id, { id: issued.id, projectId: 'acme', name: 'ci', role: 'editor', secretHash: issued.secretHash, createdAt: new Date(), revokedAt: null }],
  ]);
  let lookups = 0;
  let projectLookups = 0;
  let now = 0;
  const auth = new Authenticator({
    required,
    store: {
      findApiKey: async (id) => (lookups++, records.get(id) ?? null),
      projectExists: async (id) => (projectLookups++, id === 'acme'),
    },
    jwt,
    cacheMs: 1_000,
    now: () => now,
  });
  return { auth, key: issued.key, records, id: issued.id, lookups: () => lookups, projectLookups: () => projectLookups, advance: (ms: number) => (now += ms) };
}

test('an API key is shown once, stored as a hash and parsed back', () => {
  const { id, key, secretHash } = issueApiKey();
  const parsed = parseApiKey(key)!;
  expect(parsed.id).toBe(id);
  expect(secretMatches(parsed.secret, secretHash)).toBe(true);
  expect(secretMatches(parsed.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), secretHash)).toBe(false);
  expect(hashSecret(parsed.secret).equals(secretHash)).toBe(true);
  expect(parseApiKey('llm_short')).toBeNull();
});

test('a valid key is its project and role, by either header', async () => {
  const { auth, key, id } = setup(true);
  const expected = { projectId: 'acme', role: 'editor', subject: `api-key:${id}`, via: 'api-key' };
  expect(await auth.authenticate(request({ authorization: `Bearer ${key}` }))).toEqual(expected);
  expect(await auth.authenticate(request({ 'x-api-key': key }))).toEqual(expected);
});

test('missing, malformed, wrong and revoked credentials are UNAUTHENTICATED; a revocation takes effect once the cache expires', async () => {
  const { auth, key, records, id, advance } = setup(true);
  await expect(auth.authenticate(request({}))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/authentication required/) });
  await expect(auth.authenticate(request({ authorization: 'Basic abc' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  await expect(auth.authenticate(request({ authorization: `Bearer ${key.slice(0, -1)}x` }))).rejects.toMatchObject({ message: 'the API key is not valid' });
  await expect(auth.authenticate(request({ authorization: 'Bearer a.b.c' }))).rejects.toMatchObject({ message: expect.stringMatching(/AUTH_JWT_JWKS_URL/) });
  await auth.authenticate(request({ authorization: `Bearer ${key}` }));
  records.set(id, { ...records.get(id)!, revokedAt: new Date() });
  await expect(auth.authenticate(request({ authorization: `Bearer ${key}` }))).resolves.toMatchObject({ projectId: 'acme' }); // cached
  advance(1_001);
  await expect(auth.authenticate(request({ authorization: `Bearer ${key}` }))).rejects.toMatchObject({ message: 'the API key has been revoked' });
});

test('verified keys are cached: one lookup per key per cache period', async () => {
  const { auth, key, lookups, advance } = setup(true);
  for (let i = 0; i < 5; i++) await auth.authenticate(request({ authorization: `Bearer ${key}` }));
  expect(lookups()).toBe(1);
  advance(1_001);
  await auth.authenticate(request({ authorization: `Bearer ${key}` }));
  expect(lookups()).toBe(2);
});

test("a JWT's project must exist; whether it does is looked up once per cache period", async () => {
  // The token's signature is the verifier's business (gateway/src/auth/jwt.ts); here it names a project.
  const jwt = { verify: async (token: string) => ({ projectId: token.split('.')[0]!, subject: 'jwt:ada', role: 'reader', via: 'jwt' }) } as unknown as JwtVerifier;
  const { auth, projectLookups, advance } = setup(true, jwt);
  for (let i = 0; i < 3; i++) expect(await auth.authenticate(request({ authorization: 'Bearer acme.payload.sig' }))).toMatchObject({ projectId: 'acme' });
  await expect(auth.authenticate(request({ authorization: 'Bearer ghost.payload.sig' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'project ghost does not exist' });
  expect(projectLookups()).toBe(2);
  advance(1_001);
  await auth.authenticate(request({ authorization: 'Bearer acme.payload.sig' }));
  expect(projectLookups()).toBe(3);
});

test('without required authentication, no credentials is the default project anonymous admin; bad credentials are still refused', async () => {
  const { auth } = setup(false);
  expect(await auth.authenticate(request({}))).toMatchObject({ projectId: 'default', role: 'admin', via: 'anonymous' });
  await expect(auth.authenticate(request({ authorization: 'Bearer llm_nope' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
});

test('the rate limit allows a burst, then the rate, per project, with a retry time', () => {
  let now = 0;
  const limiter = new ProjectRateLimiter(60, 3, () => now);
  for (let i = 0; i < 3; i++) limiter.take('acme');
  expect(() => limiter.take('acme')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: 1 }));
  limiter.take('other'); // another project has its own bucket
  now += 1_000; // one request per second refills
  limiter.take('acme');
  expect(() => limiter.take('acme')).toThrow(/GATEWAY_RATE_LIMIT_PER_MINUTE/);
  expect(() => new ProjectRateLimiter(0, 1).take('acme')).not.toThrow();
});
