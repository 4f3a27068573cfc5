/**
 * A PostgreSQL server from the Debian binaries (/usr/lib/postgresql/<major>/bin), with its own
 * data dir and port — or, when DATABASE_URL is set, that server instead (nothing is started).
 * When we are root the server runs as the OS user `postgres` (initdb/postgres refuse root).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PG_OS_USER, requirePostgresBinDir, systemRunDir } from './paths';
import {
  assertPortFree,
  ensureUserDir,
  runAsWhenRoot,
  runCommand,
  shortTempDir,
  spawnManaged,
  supervise,
  waitFor,
  type ManagedProcess,
} from './process';

export interface StartPostgresOptions {
  /** Holds pgdata/ and postgres.log. Reused across starts (initdb runs once). */
  dataDir: string;
  /** Default 15432. */
  port?: number;
  /** Database created for the platform, default "llmops". */
  database?: string;
  /**
   * Server settings (-c name=value). Defaults favour test speed: fsync=off, synchronous_commit=off,
   * full_page_writes=off (safe against process kills, not OS crashes), max_connections=200.
   */
  settings?: Record<string, string | number>;
  /** Ignore DATABASE_URL and start a server anyway. */
  ignoreDatabaseUrl?: boolean;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface RunningPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/llmops (or DATABASE_URL as given). */
  databaseUrl: string;
  /** True when DATABASE_URL was used: no process; stop() is a no-op, kill()/restart() reject. */
  external: boolean;
  /** undefined when external. */
  readonly pid: number | undefined;
  /** postgres' stdout/stderr ('' when external). */
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL the postmaster and its backends (for fault tests). */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';

export async function startPostgres(opts: StartPostgresOptions): Promise<RunningPostgres> {
  const external = process.env.DATABASE_URL;
  if (external && !opts.ignoreDatabaseUrl) {
    const unsupported = (what: string) => (): Promise<void> =>
      Promise.reject(new Error(`PostgreSQL: ${what} is not possible for the external server in DATABASE_URL`));
    return {
      databaseUrl: external,
      external: true,
      pid: undefined,
      logFile: '',
      stop: async () => undefined,
      kill: unsupported('kill()'),
      restart: unsupported('restart()'),
    };
  }

  const port = opts.port ?? 15432;
  const database = opts.database ?? 'llmops';
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const bin = requirePostgresBinDir();
  const user = runAsWhenRoot(PG_OS_USER, 'PostgreSQL', 'Install the Debian package postgresql (bash scripts/infra/fetch.sh postgres).');
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  // pgdata must be owned by the server user and mode 0700.
  const home = user ? ensureUserDir(path.join(dataDir, 'server'), user, systemRunDir()) : path.join(dataDir, 'server');
  fs.mkdirSync(home, { recursive: true });
  const pgdata = path.join(home, 'pgdata');
  // Unix socket paths are limited to 107 bytes: beside pgdata when that is short enough, else a
  // short per-data-dir dir under the OS temp dir.
  const besides = path.join(home, 'socket');
  const socketDir = `${besides}/.s.PGSQL.${port}`.length < 100 ? besides : shortTempDir('llmops-pg', pgdata);
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(socketDir, user.uid, user.gid);

  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  delete env.PGDATA;
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    if (fs.existsSync(pgdata)) fs.rmSync(pgdata, { recursive: true, force: true }); // half-done initdb
    runCommand(
      'PostgreSQL',
      path.join(bin, 'initdb'),
      ['-D', pgdata, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { env, user, cwd: home },
    );
  }

  const settings: Record<string, string | number> = {
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    listen_addresses: HOST,
    ...(opts.settings ?? {}),
  };
  const args = ['-D', pgdata, '-k', socketDir, '-h', HOST, '-p', String(port)];
  for (const [k, v] of Object.entries(settings)) {
    if (k === 'listen_addresses') continue; // given as -h
    args.push('-c', `${k}=${v}`);
  }

  const logFile = path.join(dataDir, 'postgres.log');
  const client = (sql: string, db = 'postgres'): string =>
    runCommand('PostgreSQL', path.join(bin, 'psql'), ['-X', '-q', '-tA', '-h', HOST, '-p', String(port), '-U', SUPERUSER, '-d', db, '-c', sql], {
      env,
      timeoutMs: 30_000,
    });

  const controls = await supervise(
    async (): Promise<ManagedProcess> => {
      await assertPortFree('PostgreSQL', port);
      return spawnManaged({
        name: 'postgres',
        command: path.join(bin, 'postgres'),
        args,
        cwd: home,
        env,
        user,
        logFile,
        pidDir: dataDir,
        stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM ("smart") would wait for clients to disconnect
        stopGraceMs: 20_000,
      });
    },
    async (p) => {
      await waitFor(
        () => {
          runCommand('PostgreSQL', path.join(bin, 'pg_isready'), ['-q', '-h', HOST, '-p', String(port), '-d', 'postgres'], { env, timeoutMs: 5000 });
          return true;
        },
        { timeoutMs, what: `PostgreSQL on ${HOST}:${port} to accept connections (pg_isready)`, process: p },
      );
      if (client(`select 1 from pg_database where datname = '${database.replace(/'/g, "''")}'`).trim() !== '1') {
        client(`create database "${database.replace(/"/g, '""')}"`);
      }
    },
  );

  return {
    databaseUrl: `postgresql://${SUPERUSER}@${HOST}:${port}/${encodeURIComponent(database)}`,
    external: false,
    get pid() {
      return controls.pid;
    },
    logFile,
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
  };
}
