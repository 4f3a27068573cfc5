// Projects and API keys for integration tests, made the way an operator makes them (`npm run
// auth`, the gateway's CLI, against the stack's database). The stack's own gateway accepts these
// keys as bearer tokens (it only lets requests without credentials through as the default
// project's admin), so a test can act as a caller of any project against ctx.gatewayUrl.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { integrationContext } from './context';

const repoRoot = join(__dirname, '..', '..');

export type Role = 'reader' | 'editor' | 'admin';

/** Runs the gateway's auth CLI against the stack's database; resolves with its standard output. */
export async function authCli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'gateway', 'dist', 'cli', 'auth-cli.js'), ...args], {
    env: { PATH: process.env.PATH!, DATABASE_URL: integrationContext().databaseUrl },
  });
  return stdout.trim();
}

/** A project with a unique name (prefix + random suffix). */
export async function createProject(prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const out = await authCli('create-project', name);
  if (out !== `created project ${name}`) throw new Error(`create-project ${name}: ${out}`);
  return name;
}

/** A new API key of the project with the role (the secret, shown once). */
export async function createKey(project: string, role: Role): Promise<string> {
  const key = await authCli('create-key', '--project', project, '--role', role, '--name', `it ${role}`);
  if (!/^llm_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/.test(key)) throw new Error(`create-key for ${project}: unexpected output ${key}`);
  return key;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
