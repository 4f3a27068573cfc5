// Fault injection for tests that run in another process (or VM context) than the one that
// started the platform: a loopback-only HTTP endpoint that stops, kills and restarts one
// infrastructure server or one program of a running LocalPlatform.
//
//   POST /infra/<postgres|elasticsearch|kafka|prometheus>/<stop|kill|restart>
//   POST /programs/<name>/<stop|kill|restart>
//
// `restart` starts a stopped or killed component again on the same data and ports and answers
// once it is ready. Operations run one at a time; every answer is JSON ({ ok } or { error }).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalPlatform } from './local-platform';

export const controlUrlEnv = 'LLMOPS_IT_CONTROL_URL';

export interface RunningControlServer {
  url: string;
  stop(): Promise<void>;
}

type Action = 'stop' | 'kill' | 'restart';
const actions: readonly Action[] = ['stop', 'kill', 'restart'];
const infraNames = ['postgres', 'elasticsearch', 'kafka', 'prometheus'] as const;

export async function startControlServer(platform: LocalPlatform): Promise<RunningControlServer> {
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  async function perform(kind: string, name: string, action: Action): Promise<void> {
    if (kind === 'infra') {
      if (!(infraNames as readonly string[]).includes(name)) throw new Error(`unknown infrastructure server: ${name}`);
      const server = platform.infra[name as (typeof infraNames)[number]];
      if (action === 'restart') return server.restart();
      return action === 'kill' ? server.kill() : server.stop();
    }
    if (kind === 'programs') {
      if (action === 'restart') return platform.stack.restart(name);
      const { process } = platform.stack.program(name);
      return action === 'kill' ? process.kill() : process.stop();
    }
    throw new Error(`unknown component kind: ${kind} (infra or programs)`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [, kind = '', name = '', action = ''] = (req.url ?? '').split('?')[0]!.split('/');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !(actions as readonly string[]).includes(action)) {
      send(404, { error: 'use POST /infra/<server>/<stop|kill|restart> or POST /programs/<name>/<stop|kill|restart>' });
      return;
    }
    serialized(() => perform(kind, name, action as Action)).then(
      () => send(200, { ok: true }),
      (err: unknown) => send(500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // Restarts (Elasticsearch on two cores) can take minutes.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Never keeps the test runner alive on its own.
  server.unref();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Client side: performs `action` on a component through the control server named in `LLMOPS_IT_CONTROL_URL`. */
export async function controlPlatform(kind: 'infra' | 'programs', name: string, action: Action): Promise<void> {
  const base = process.env[controlUrlEnv];
  if (!base) throw new Error(`${controlUrlEnv} is not set: the integration global setup starts the control server`);
  const res = await fetch(`${base}/${kind}/${name}/${action}`, { method: 'POST', signal: AbortSignal.timeout(600_000) });
  const body = (await res.json()) as { ok?: boolean; error?: string };
  if (res.status !== 200) throw new Error(`${action} ${kind}/${name} failed: ${body.error ?? res.status}`);
}
