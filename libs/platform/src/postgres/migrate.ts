// Forward-only migrations per schema, applied once each under an advisory lock, each in its
// own transaction, recorded in <schema>.schema_migrations.
import type { Pool } from 'pg';
import type { Logger } from '../logger';

export interface Migration {
  id: string;
  sql: string;
}

export async function migrate(pool: Pool, schema: string, migrations: Migration[], logger: Logger): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`)).rows.map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${schema}`);
        await client.query(m.sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [m.id]);
        await client.query('COMMIT');
        logger.info({ schema, migration: m.id }, 'applied migration');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${schema}/${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [schema]).catch(() => undefined);
    client.release();
  }
}
