// The error formatter's answer for a resolver whose backing server cannot be reached: UNAVAILABLE
// naming the dependency (`postgresql`, `elasticsearch`), never the internal address it was at.
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { createErrorFormatter, unreachableDependencyOf } from '../src';

const logger = pino({ level: 'silent' });

/** What pg's client rejects with when the server's socket refuses or drops: node's own net errors. */
function netError(code: string, syscall = 'connect'): Error {
  return Object.assign(new Error(`${syscall} ${code} 10.0.3.7:5432`), { code, errno: -111, syscall, address: '10.0.3.7', port: 5432 });
}

test.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'])('a pg %s error is UNAVAILABLE with dependency postgresql, no address', (code) => {
  const err = netError(code);
  const resolverError = new GraphQLError(err.message, { path: ['prompt'], originalError: err });
  const formatted = createErrorFormatter(logger)({ message: err.message, path: ['prompt'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, resolverError);
  expect(formatted).toEqual({ message: 'postgresql is unavailable', path: ['prompt'], extensions: { code: 'UNAVAILABLE', dependency: 'postgresql' } });
  expect(JSON.stringify(formatted)).not.toMatch(/10\.0\.3\.7|5432/);
});

test('PostgreSQL-side connection failures and Elasticsearch keep their names; other errors are not outages', () => {
  expect(unreachableDependencyOf(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe('postgresql');
  expect(unreachableDependencyOf(new Error('Connection terminated unexpectedly'))).toBe('postgresql');
  expect(unreachableDependencyOf(Object.assign(new Error('no living connections'), { name: 'NoLivingConnectionsError', meta: {} }))).toBe('elasticsearch');
  expect(unreachableDependencyOf(new Error('relation "prompts" does not exist'))).toBeUndefined();
});
