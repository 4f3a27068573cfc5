// Which PostgreSQL errors are "cannot serve this now" (retried by clients and consumers as
// UNAVAILABLE) and which are the statement's own (a bad input, a bug): the second kind must not
// be retried forever, the first must not dead-letter an event or fail a request for good.
import { isConnectionError } from '../src';

const pgError = (code: string, message = 'error') => Object.assign(new Error(message), { code });

test.each([
  ['ECONNREFUSED', 'the server is not listening'],
  ['ENOTFOUND', 'its host name does not resolve (yet)'],
  ['08006', 'connection failure'],
  ['57P01', 'admin shutdown'],
  ['57P03', 'the database system is starting up'],
  ['53300', 'too many connections'],
  ['53200', 'out of memory'],
  ['57014', 'statement timeout'],
  ['25006', 'read-only after a failover'],
  ['40001', 'serialization failure'],
  ['40P01', 'deadlock detected'],
])('%s (%s) is transient', (code) => {
  expect(isConnectionError(pgError(code))).toBe(true);
});

test.each([
  ['23505', 'unique violation'],
  ['22P02', 'invalid text representation (a malformed uuid)'],
  ['22021', 'a NUL byte in text'],
  ['42P01', 'undefined table'],
  ['42703', 'undefined column'],
])('%s (%s) is the statement\'s own error', (code) => {
  expect(isConnectionError(pgError(code))).toBe(false);
});

test('pg\'s own messages for a lost or refused connection are transient; anything else is not', () => {
  expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
  expect(isConnectionError(new Error('column "x" does not exist'))).toBe(false);
  expect(isConnectionError(undefined)).toBe(false);
});
