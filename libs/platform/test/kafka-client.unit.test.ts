// The kafkajs client's logs go to the platform's logger. The platform's producer leaves kafkajs
// nothing to warn of: its partitioner is named, and the warning about an idempotent producer's
// limited retries, which IdempotentProducer answers, is logged at debug.
import { Writable } from 'node:stream';
import pino from 'pino';
import { createKafka, IdempotentProducer } from '../src';

test('creating the platform\'s producer logs no warning; other kafkajs warnings stay warnings', () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
  const kafka = createKafka({ clientId: 'test', brokers: ['127.0.0.1:1'], logger: pino({ level: 'debug' }, sink) });
  new IdempotentProducer(kafka);
  kafka.logger().warn('something else');
  expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['something else']);
  expect(lines.find((l) => l.msg.startsWith('Limiting retries for the idempotent producer'))?.level).toBe(20);
});
