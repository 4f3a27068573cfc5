// A second gateway process over the shared stack's subgraphs (production mode, say), and free
// ports for such extra processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@llmops/testkit';
import { integrationContext, programUrl } from './context';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface ExtraGateway {
  child: ChildProcess;
  /** Its /graphql URL. */
  url: string;
  output: () => string;
}

/** Starts the gateway with `env` on top of what reaches the stack (database, internal secret, subgraph URLs) and waits until it is ready. */
export async function startExtraGateway(env: Record<string, string>): Promise<ExtraGateway> {
  const ctx = integrationContext();
  const port = await freePort();
  const subgraphUrl = (name: string) => `${programUrl(name)}/graphql`;
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'gateway', 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH!,
      LOG_LEVEL: 'warn',
      HTTP_PORT: String(port),
      DATABASE_URL: ctx.databaseUrl,
      INTERNAL_AUTH_SECRET: ctx.auth.internalSecret,
      PROMPT_REGISTRY_URL: subgraphUrl('prompt-registry'),
      GENERATION_URL: subgraphUrl('generation'),
      ENCODER_URL: subgraphUrl('encoder'),
      RETRIEVAL_URL: subgraphUrl('retrieval'),
      FEEDBACK_URL: subgraphUrl('feedback'),
      ...env,
    },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { timeoutMs: 60_000, what: `the extra gateway on ${base} (output: ${output})` });
  return { child, url: `${base}/graphql`, output: () => output };
}
