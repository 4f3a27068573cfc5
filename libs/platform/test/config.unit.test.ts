import { z } from 'zod';
import { commaList, commonEnv, ConfigError, parseConfig, port } from '../src';

const schema = commonEnv.extend({ DATABASE_URL: z.string().min(1), KAFKA_BROKERS: commaList, GRPC_PORT: port(50051) });

test('defaults apply and lists split', () => {
  const c = parseConfig(schema, { DATABASE_URL: 'postgres://x', KAFKA_BROKERS: 'a:1, b:2' });
  expect(c).toMatchObject({ KAFKA_BROKERS: ['a:1', 'b:2'], GRPC_PORT: 50051, HOST: '127.0.0.1', LOG_LEVEL: 'info' });
});

test('every missing or invalid setting is named, with its value when it is not a secret', () => {
  let error: unknown;
  try {
    parseConfig(schema, { KAFKA_BROKERS: ' , ', GRPC_PORT: 'abc', LOG_LEVEL: 'loud' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.join('\n');
  expect(problems).toContain('DATABASE_URL');
  expect(problems).toContain('KAFKA_BROKERS=" , "');
  expect(problems).toContain('GRPC_PORT="abc"');
  expect(problems).toContain('LOG_LEVEL="loud"');
});

test('secret settings are named without their value, and credentials in URLs are masked', () => {
  const withUrls = commonEnv.extend({
    DATABASE_URL: z.url().refine((u) => u.startsWith('postgres://'), 'must be a postgres:// URL'),
    OPENAI_BACKEND_API_KEY: z.string().startsWith('sk-'),
    KAFKA_SASL_PASSWORD: z.string().min(12),
    GITHUB_TOKEN: z.string().min(12),
    AUTH_JWT_JWKS_URL: z.url().endsWith('.json'),
  });
  let error: unknown;
  try {
    parseConfig(withUrls, {
      INTERNAL_AUTH_SECRET: 'too-short-s3cret',
      DATABASE_URL: 'mysql://app:hunter2@db:3306/registry',
      OPENAI_BACKEND_API_KEY: 'pk-live-abcdef',
      KAFKA_SASL_PASSWORD: 'pa55word',
      GITHUB_TOKEN: 'ghp_12345',
      AUTH_JWT_JWKS_URL: 'https://tok3n@idp.example/keys',
      LOG_LEVEL: 'loud',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  for (const secret of ['too-short-s3cret', 'hunter2', 'pk-live-abcdef', 'pa55word', 'ghp_12345', 'tok3n']) expect(message).not.toContain(secret);
  const problems = (error as ConfigError).problems;
  expect(problems).toContain('INTERNAL_AUTH_SECRET (value hidden): must be at least 32 characters');
  for (const name of ['OPENAI_BACKEND_API_KEY', 'KAFKA_SASL_PASSWORD', 'GITHUB_TOKEN']) expect(problems.some((p) => p.startsWith(`${name} (value hidden): `))).toBe(true);
  // The rest of a URL still shows what is wrong with it.
  expect(problems).toContain('DATABASE_URL="mysql://app:***@db:3306/registry": must be a postgres:// URL');
  expect(problems.some((p) => p.startsWith('AUTH_JWT_JWKS_URL="https://***@idp.example/keys": '))).toBe(true);
  expect(problems.some((p) => p.startsWith('LOG_LEVEL="loud": '))).toBe(true);
});

test('settings that only count tokens or keys still show their value', () => {
  const limits = z.object({ GRAPHQL_MAX_TOKENS: z.coerce.number().int().positive(), SEARCH_MODE_KEYWORD_WEIGHT: z.coerce.number().max(1) });
  expect(() => parseConfig(limits, { GRAPHQL_MAX_TOKENS: 'many', SEARCH_MODE_KEYWORD_WEIGHT: '2' })).toThrow(
    /GRAPHQL_MAX_TOKENS="many"[\s\S]*SEARCH_MODE_KEYWORD_WEIGHT="2"/,
  );
});
