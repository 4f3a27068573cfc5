// The HTTP surface every program shares: /graphql (when given an Apollo server), /healthz,
// /readyz and /metrics. Plain node:http, so limits and metrics are ours to set.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Lifecycle } from '../lifecycle';
import { findUnstorableText } from './input-guard';
import { BodyTooLargeError, readBody } from './read-body';
import { DomainError, RateLimitedError } from '../errors';
import { runAs, type Identity } from '../identity';

export interface HttpServerOptions<TContext extends BaseContext> {
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Idle keep-alive connections are closed after this long (default 65 s: see HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs?: number;
  graphql?: { server: ApolloServer<TContext>; context: (req: IncomingMessage, identity: Identity) => Promise<TContext> };
  /** Extra routes by exact path (e.g. a streaming endpoint), answered by their own handlers. */
  routes?: Record<string, RawRoute>;
  /**
   * Who sends a /graphql or extra-route request (health, readiness and metrics are open); a
   * DomainError (UNAUTHENTICATED) is answered with 401 and its code. The request runs as the caller.
   */
  authenticate: (req: IncomingMessage) => Promise<Identity>;
}

/** A route answered by its own handler, as the verified caller (`identity`; also the work's current identity). */
export type RawRoute = (req: IncomingMessage, res: ServerResponse, identity: Identity) => Promise<void>;

export interface RunningHttpServer {
  server: Server;
  port: number;
  url: string;
}

export async function startHttpServer<TContext extends BaseContext>(
  opts: HttpServerOptions<TContext>,
): Promise<RunningHttpServer> {
  const { logger, metrics, lifecycle } = opts;
  const drain = new Drain();
  const server = createServer((req, res) => {
    drain.track(res);
    const started = process.hrtime.bigint();
    const route = routeOf(req.url, opts.routes);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequestDuration.observe({ method: req.method ?? 'GET', route, status_code: String(res.statusCode) }, seconds);
    });
    handle(req, res, route).catch((err) => {
      logger.error({ err, route }, 'unhandled error in HTTP handler');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    switch (route) {
      case '/healthz':
        return sendJson(res, 200, { status: 'ok' });
      case '/readyz': {
        const report = lifecycle.readiness();
        return sendJson(res, report.ready ? 200 : 503, report);
      }
      case '/metrics':
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
        return;
      case '/graphql': {
        const graphql = opts.graphql;
        if (!graphql) return sendJson(res, 404, { error: 'not found' });
        return asCaller(req, res, (identity) => serveGraphQL(req, res, graphql, identity));
      }
      default: {
        const raw = opts.routes?.[route];
        if (raw) return asCaller(req, res, (identity) => raw(req, res, identity));
        return sendJson(res, 404, { error: 'not found' });
      }
    }
  }

  async function asCaller(req: IncomingMessage, res: ServerResponse, serve: (identity: Identity) => Promise<void>): Promise<void> {
    let identity: Identity;
    try {
      identity = await opts.authenticate(req);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = httpStatusOf[err.code] ?? 400;
      if (err instanceof RateLimitedError) res.setHeader('retry-after', String(err.retryAfterSeconds));
      return sendGraphQLError(res, status, err.message, err.code, err.details);
    }
    return runAs(identity, () => serve(identity));
  }

  async function serveGraphQL(
    req: IncomingMessage,
    res: ServerResponse,
    graphql: NonNullable<HttpServerOptions<TContext>['graphql']>,
    identity: Identity,
  ): Promise<void> {
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req, opts.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          return sendGraphQLError(res, 413, err.message, 'PAYLOAD_TOO_LARGE', { limitBytes: err.limitBytes });
        }
        throw err;
      }
      try {
        body = raw.length ? JSON.parse(raw) : undefined;
      } catch {
        return sendGraphQLError(res, 400, 'request body is not valid JSON', 'BAD_REQUEST');
      }
      if (Array.isArray(body)) {
        return sendGraphQLError(res, 400, 'batched requests are not accepted', 'BAD_REQUEST');
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A GET carries the document and variables in its query string: the same text, the same guard.
    const unstorable = findUnstorableText(req.method === 'POST' ? body : getRequestOf(url.searchParams));
    if (unstorable !== undefined) {
      const where = unstorable.field === 'query' ? 'the query' : `variable ${unstorable.field}`;
      return sendGraphQLError(res, 400, `${where} contains ${unstorable.found}, which is not accepted`, 'BAD_USER_INPUT', { field: unstorable.field });
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await graphql.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body },
      context: () => graphql.context(req, identity),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  if (opts.graphql) {
    const apollo = opts.graphql.server;
    await apollo.start();
    lifecycle.onStop('graphql server', () => apollo.stop());
  }
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // Requests in flight (a generation, a stream) may finish within the shutdown grace, less a margin
  // for the stops after the servers; then every connection still open is closed.
  lifecycle.onDrain('http server', () => drain.close(server, lifecycle.drainBudgetMs()));
  const url = `http://${opts.host}:${port}`;
  logger.info({ url }, 'HTTP server listening');
  return { server, port, url };
}

const httpStatusOf: Partial<Record<string, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429, UNAVAILABLE: 503 };

function routeOf(url: string | undefined, routes: Record<string, RawRoute> = {}): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return ['/graphql', '/healthz', '/readyz', '/metrics'].includes(path) || Object.hasOwn(routes, path) ? path : 'other';
}

/** The query and variables of a GraphQL GET request (variables that are not JSON are left to Apollo to refuse). */
function getRequestOf(params: URLSearchParams): { query?: string; variables?: unknown } {
  let variables: unknown;
  try {
    variables = JSON.parse(params.get('variables') ?? 'null');
  } catch {
    variables = undefined;
  }
  return { query: params.get('query') ?? undefined, variables };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string, extra = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, ...extra } }] });
}

/**
 * Stops a server whose clients keep connections alive. `server.close()` alone closes the idle ones
 * once and then waits for every other connection to end by itself, which a keep-alive client busy
 * at that moment never does (it sends its next request on it). While draining, every answer says
 * `Connection: close` and each connection is closed as soon as its answer is done; connections
 * still busy at the deadline are closed anyway.
 */
class Drain {
  private draining = false;
  private server: Server | undefined;
  private readonly inFlight = new Set<ServerResponse>();

  track(res: ServerResponse): void {
    if (this.draining) res.setHeader('connection', 'close');
    this.inFlight.add(res);
    res.on('close', () => {
      this.inFlight.delete(res);
      // The answer is done: its connection is idle now (Node has detached the response).
      if (this.draining) setImmediate(() => this.server?.closeIdleConnections());
    });
  }

  close(server: Server, deadlineMs: number): Promise<void> {
    this.draining = true;
    this.server = server;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    return new Promise((resolve) => {
      const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
}
