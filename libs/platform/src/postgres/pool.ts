import { Pool, type PoolClient } from 'pg';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';

export type { Pool, PoolClient };

export function createPgPool(databaseUrl: string, logger: Logger, max = 10): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (e.g. a database restart) must not crash the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle PostgreSQL client failed'));
  // Nor may a checked-out client between two queries (e.g. one holding a transaction open while it
  // publishes to Kafka): pg emits that on the client, and an 'error' without a listener kills the
  // process. Its next query then fails, and is mapped to UnavailableError like any connection error.
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err: err.message }, 'PostgreSQL connection lost')));
  return pool;
}

const networkErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/**
 * SQLSTATEs that say nothing about the statement, only that PostgreSQL cannot run it now:
 * connection exceptions (class 08), insufficient resources (53: too many connections, out of
 * memory, disk full), operator intervention (57P: shut down, starting up), a statement timeout or
 * cancellation under load (57014), a server that became read-only in a failover (25006), and a
 * transaction that lost a serialization conflict or a deadlock (40001, 40P01), which succeeds
 * when run again.
 */
const transientSqlStates = /^(08|53|57P)|^(57014|25006|40001|40P01)$/;

/**
 * True for errors that mean "PostgreSQL cannot serve this now" (unreachable, overloaded, failing
 * over, or a conflict lost to a concurrent transaction), as opposed to errors of the query: the
 * callers map them to UnavailableError, which clients and consumers retry.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && (networkErrorCodes.has(e.code) || transientSqlStates.test(e.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect/i.test(e?.message ?? '');
}

/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new UnavailableError('postgresql', { cause: err });
  }
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isConnectionError(err)) throw new UnavailableError('postgresql', { cause: err });
    throw err;
  } finally {
    client.release();
  }
}
