// The consumers' handler retry on its own: dependencies down are waited out, other failures are the
// message's after maxAttempts, and a statement PostgreSQL keeps cancelling is the message's too
// after maxStatementTimeouts (it would otherwise hold its partition for good).
import { createLogger, HandlerFailedError, retryHandler, UnavailableError } from '../src';

const options = { running: () => true, heartbeat: async () => undefined, logger: createLogger('test', 'silent'), where: {}, maxStatementTimeouts: 4 };
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

test.each([
  ['as pg throws it', () => pgError('57014', 'canceling statement due to statement timeout')],
  ['wrapped by an adapter', () => new UnavailableError('postgresql', { cause: pgError('57014', 'canceling statement due to statement timeout') })],
])('a statement cancelled every time (%s) is the message\'s after maxStatementTimeouts', async (_how, error) => {
  let calls = 0;
  const outcome = await retryHandler(async () => {
    calls++;
    throw error();
  }, options).catch((e: unknown) => e);
  expect(outcome).toBeInstanceOf(HandlerFailedError);
  expect(calls).toBe(4);
}, 30_000);

test('other outages are waited out past maxStatementTimeouts; a cancelled statement that then succeeds is not dead-lettered', async () => {
  let calls = 0;
  await retryHandler(async () => {
    calls++;
    if (calls <= 5) throw pgError('57P01', 'terminating connection due to administrator command');
    if (calls <= 7) throw pgError('57014', 'canceling statement due to statement timeout');
  }, options);
  expect(calls).toBe(8);
}, 30_000);
