// JWT verification against a real (local) JWKS endpoint: issuer and audience are required settings,
// a token must carry an expiry, and only asymmetric algorithms are accepted, even when the JWKS
// publishes a symmetric key. The verifier runs in a child Node process (see jwt-verify.fixture.ts).
import { execFile } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseConfig } from '@llmops/platform';
import { configSchema } from '../src/config-schema';

const issuer = 'https://idp.example';
const audience = 'llmops';
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const hmacSecret = randomBytes(32);
const keys = [
  { ...pair.publicKey.export({ format: 'jwk' }), kid: 'rsa', alg: 'RS256', use: 'sig' },
  // A symmetric key that a misconfigured identity provider publishes: anyone can read it.
  { kty: 'oct', k: hmacSecret.toString('base64url'), kid: 'oct', alg: 'HS256', use: 'sig' },
];
let server: Server;
let jwksUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
function token(alg: 'RS256' | 'HS256', claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const body = `${part({ alg, kid: alg === 'RS256' ? 'rsa' : 'oct', typ: 'JWT' })}.${part({ iss: issuer, aud: audience, sub: 'ada', iat: now, project: 'acme', role: 'reader', ...claims })}`;
  const signature = alg === 'RS256' ? sign('RSA-SHA256', Buffer.from(body), pair.privateKey) : createHmac('sha256', hmacSecret).update(body).digest();
  return `${body}.${signature.toString('base64url')}`;
}

function verifyInChild(tokens: Record<string, string>): Promise<Record<string, unknown>> {
  const tsx = join(__dirname, '../../node_modules/.bin/tsx');
  const script = join(__dirname, 'jwt-verify.fixture.ts');
  return new Promise((resolve, reject) => {
    const child = execFile(tsx, ['--tsconfig', join(__dirname, '../../tsconfig.tests.json'), script], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
    child.stdin!.end(JSON.stringify({ jwksUrl, issuer, audience, tokens }));
  });
}

test('expiry required, asymmetric algorithms only: what the verifier accepts and refuses', async () => {
  const exp = Math.floor(Date.now() / 1000) + 300;
  const results = await verifyInChild({
    valid: token('RS256', { exp }),
    withoutExpiry: token('RS256', {}),
    symmetric: token('HS256', { exp }),
    otherAudience: token('RS256', { exp, aud: 'another-app' }),
  });
  expect(results).toEqual({
    valid: { projectId: 'acme', role: 'reader', subject: 'ada', via: 'jwt' },
    withoutExpiry: { error: expect.objectContaining({ code: 'UNAUTHENTICATED', details: { reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED' } }) },
    symmetric: { error: expect.objectContaining({ code: 'UNAUTHENTICATED', details: { reason: 'ERR_JOSE_ALG_NOT_ALLOWED' } }) },
    otherAudience: { error: expect.objectContaining({ code: 'UNAUTHENTICATED', details: { reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED' } }) },
  });
}, 40_000);

test('AUTH_JWT_JWKS_URL requires AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE (a configuration error naming them)', () => {
  const base = { DATABASE_URL: 'postgresql://llmops@127.0.0.1:5432/llmops' };
  expect(() => parseConfig(configSchema, base)).not.toThrow();
  const jwks = { ...base, AUTH_JWT_JWKS_URL: 'https://idp.example/jwks.json' };
  expect(() => parseConfig(configSchema, jwks)).toThrow(/AUTH_JWT_ISSUER: required when AUTH_JWT_JWKS_URL is set[\s\S]*AUTH_JWT_AUDIENCE: required when AUTH_JWT_JWKS_URL is set/);
  expect(() => parseConfig(configSchema, { ...jwks, AUTH_JWT_ISSUER: issuer })).toThrow(/AUTH_JWT_AUDIENCE/);
  expect(parseConfig(configSchema, { ...jwks, AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: audience })).toMatchObject({ AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: audience });
});
