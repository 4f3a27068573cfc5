// auth: projects and API keys, straight in the gateway's `identity` schema (DATABASE_URL).
//   npm run auth -- create-project <id> [--name <name>]
//   npm run auth -- projects
//   npm run auth -- create-key --project <id> --role reader|editor|admin [--name <name>]
//   npm run auth -- keys --project <id>
//   npm run auth -- revoke-key <key id>
// A new key is printed once; only its hash is stored.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger, createPgPool, isRole, loadConfig, migrate } from '@llmops/platform';
import { PgIdentityStore } from '../auth/identity-store.pg';
import { identityMigrations, identitySchema } from '../auth/migrations';

const usage = `usage: auth create-project <id> [--name <name>]
       auth projects
       auth create-key --project <id> --role reader|editor|admin [--name <name>]
       auth keys --project <id>
       auth revoke-key <key id>
settings: DATABASE_URL (the gateway's PostgreSQL)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, project: { type: 'string' }, role: { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (!command) throw new Error(usage);
  const databaseUrl = loadConfig(z.object({ DATABASE_URL: z.string().min(1, 'the gateway\'s PostgreSQL URL is required') })).DATABASE_URL;
  const logger = createLogger('auth-cli', 'warn');
  const pool = createPgPool(databaseUrl, logger, 2);
  try {
    await migrate(pool, identitySchema, identityMigrations, logger);
    const store = new PgIdentityStore(pool);
    switch (command) {
      case 'create-project': {
        if (!arg) throw new Error(`create-project: the project id is missing\n${usage}`);
        const project = await store.createProject(arg, values.name ?? arg);
        console.log(`created project ${project.id}`);
        return;
      }
      case 'projects':
        for (const p of await store.listProjects()) console.log(`${p.id}\t${p.name}\t${p.createdAt.toISOString()}`);
        return;
      case 'create-key': {
        if (!values.project) throw new Error(`create-key: --project is missing\n${usage}`);
        if (!isRole(values.role)) throw new Error(`create-key: --role must be reader, editor or admin\n${usage}`);
        const { record, key } = await store.createApiKey(values.project, values.role, values.name ?? `${values.role} key`);
        process.stderr.write(`created API key ${record.id} (${record.role} of ${record.projectId}); it is shown only now:\n`);
        console.log(key);
        return;
      }
      case 'keys': {
        if (!values.project) throw new Error(`keys: --project is missing\n${usage}`);
        for (const k of await store.listApiKeys(values.project)) {
          console.log(`${k.id}\t${k.role}\t${k.name}\t${k.createdAt.toISOString()}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`);
        }
        return;
      }
      case 'revoke-key':
        if (!arg) throw new Error(`revoke-key: the key id is missing\n${usage}`);
        await store.revokeApiKey(arg);
        console.log(`revoked API key ${arg}`);
        return;
      default:
        throw new Error(`unknown command ${command}\n${usage}`);
    }
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`auth: ${(err as Error).message}\n`);
  process.exit(1);
});
