// The gateway's streaming route over real sockets: a fake upstream stands in for the generation
// service's SSE endpoint (the project's own port). Events stream through as they are written,
// the caller's signed identity replaces the client's credentials, the query string and body go
// on, a client that disconnects closes the upstream request, an upstream that dies mid-stream
// closes the client's stream, and an unreachable upstream is a typed 503.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createMetrics, Lifecycle, startHttpServer, type Identity } from '@llmops/platform';
import { streamProxy } from '../src/stream-proxy';

const logger = pino({ level: 'silent' });
const caller: Identity = { projectId: 'acme', subject: 'api-key:k1', role: 'editor', via: 'api-key' };

interface Seen {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  closedEarly: boolean;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An upstream that streams `events` SSE events 30 ms apart (or forever when null). */
function upstream(events: number | null, seen: Seen[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const record: Seen = { url: req.url!, method: req.method!, headers: req.headers, body, closedEarly: false };
      seen.push(record);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-internal': 'not for clients' });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`event: text\ndata: {"i":${i++}}\n\n`);
        if (events !== null && i >= events) {
          clearInterval(timer);
          res.end();
        }
      }, 30);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) record.closedEarly = true;
      });
    });
  });
}

async function gatewayTo(upstreamUrl: string) {
  const lifecycle = new Lifecycle(logger);
  const http = await startHttpServer({
    logger,
    metrics: createMetrics('gateway-test'),
    lifecycle,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 10_000,
    authenticate: async () => caller,
    routes: {
      '/v1/generate/stream': streamProxy({
        upstream: `${upstreamUrl}/graphql`,
        subgraph: 'generation',
        sign: (identity) => ({ 'x-llmops-identity': `signed:${identity.projectId}:${identity.role}` }),
        logger,
      }),
    },
  });
  return { lifecycle, url: `${http.url}/v1/generate/stream` };
}

test("events stream through with the caller's signed identity instead of the client's credentials", async () => {
  const seen: Seen[] = [];
  const up = upstream(3, seen);
  const gw = await gatewayTo(await listen(up));
  try {
    const res = await fetch(`${gw.url}?input=%7B%7D`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer llm_secret' }, body: '{"template":"hi"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-internal')).toBeNull();
    expect(await res.text()).toBe([0, 1, 2].map((i) => `event: text\ndata: {"i":${i}}\n\n`).join(''));
    expect(seen[0]).toMatchObject({ url: '/v1/generate/stream?input=%7B%7D', method: 'POST', body: '{"template":"hi"}' });
    expect(seen[0]!.headers['x-llmops-identity']).toBe('signed:acme:editor');
    expect(seen[0]!.headers['authorization']).toBeUndefined();
  } finally {
    await gw.lifecycle.shutdown('test done');
    up.close();
  }
});

test('a client that disconnects mid-stream closes the upstream request', async () => {
  const seen: Seen[] = [];
  const up = upstream(null, seen);
  const gw = await gatewayTo(await listen(up));
  try {
    const client = httpRequest(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    client.end('{}');
    // The first event arrived; then the client goes away.
    await new Promise<void>((resolve) => client.on('response', (answer) => answer.once('data', () => resolve())));
    client.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen[0]!.closedEarly).toBe(true);
  } finally {
    await gw.lifecycle.shutdown('test done');
    up.close();
  }
});

test('an unreachable upstream is 503 UNAVAILABLE naming the subgraph', async () => {
  const up = createServer();
  const url = await listen(up);
  await new Promise((r) => up.close(r));
  const gw = await gatewayTo(url);
  try {
    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'UNAVAILABLE', subgraph: 'generation', message: expect.stringMatching(/ECONNREFUSED/) } });
  } finally {
    await gw.lifecycle.shutdown('test done');
  }
});

test('an upstream that dies mid-stream closes the client stream (no hang)', async () => {
  const up = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: text\ndata: {"i":0}\n\n');
      // The generation service crashes: its connection is cut without the final chunk.
      setTimeout(() => res.socket?.destroy(), 50);
    });
  });
  const gw = await gatewayTo(await listen(up));
  try {
    const outcome = await new Promise<{ received: string; ended: string }>((resolve) => {
      let received = '';
      const hang = setTimeout(() => resolve({ received, ended: 'still open after 3 s' }), 3_000);
      const client = httpRequest(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (answer) => {
        answer.on('data', (c: Buffer) => (received += c.toString()));
        answer.on('end', () => (clearTimeout(hang), resolve({ received, ended: 'ended' })));
        answer.on('error', () => (clearTimeout(hang), resolve({ received, ended: answer.complete ? 'ended' : 'broken off' })));
      });
      client.on('error', () => (clearTimeout(hang), resolve({ received, ended: 'broken off' })));
      client.end('{}');
    });
    // The event that made it is delivered, then the client sees the stream broken off (not a clean end).
    expect(outcome).toEqual({ received: 'event: text\ndata: {"i":0}\n\n', ended: 'broken off' });
  } finally {
    await gw.lifecycle.shutdown('test done');
    up.close();
  }
});
