import { z } from 'zod';
import { commaList, commonEnv, ConfigError, parseConfig, port } from '../src';

const schema = commonEnv.extend({ DATABASE_URL: z.string().min(1), KAFKA_BROKERS: commaList, GRPC_PORT: port(50051) });

test('defaults apply and lists split', () => {
  const c = parseConfig(schema, { DATABASE_URL: 'postgres://x', KAFKA_BROKERS: 'a:1, b:2' });
  expect(c).toMatchObject({ KAFKA_BROKERS: ['a:1', 'b:2'], GRPC_PORT: 50051, HOST: '127.0.0.1', LOG_LEVEL: 'info' });
});

test('every missing or invalid setting is named, with its value', () => {
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
