// Streaming HTTP routes of a subgraph, served through the gateway: the generation service's
// Server-Sent Events (/v1/generate/stream). The gateway has authenticated and rate-limited the
// caller; the request goes on with the caller's signed identity (never the client's own
// credentials), and the response streams back as it arrives. A client that goes away closes the
// upstream request, which cancels the generation; an upstream stream that breaks off closes the
// client's.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Identity, Logger, RawRoute } from '@llmops/platform';

export interface StreamProxyOptions {
  /** The subgraph's base URL (scheme, host and port; its path is replaced by the route's). */
  upstream: string;
  subgraph: string;
  /** The signed identity headers for the caller. */
  sign: (identity: Identity) => Record<string, string>;
  logger: Logger;
}

/** Request headers passed on: the body's description and what the client accepts, nothing else. */
const forwarded = ['content-type', 'content-length', 'accept', 'last-event-id'];

export function streamProxy(opts: StreamProxyOptions): RawRoute {
  return (req, res, identity) =>
    new Promise<void>((resolve) => {
      const target = new URL(req.url ?? '/', opts.upstream);
      const headers: OutgoingHttpHeaders = { ...opts.sign(identity) };
      for (const name of forwarded) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
      const upstream = httpRequest(target, { method: req.method, headers }, (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answerHeaders(answer));
        res.flushHeaders();
        answer.pipe(res);
        // pipe() never ends the client's answer when the upstream's breaks off (the generation
        // service crashed or its connection was reset): cut the client's too, so it sees a broken
        // stream (no final chunk) instead of waiting for events that will never come.
        answer.on('error', () => undefined); // reported by 'close' below
        answer.on('close', () => {
          if (!answer.complete) {
            opts.logger.warn({ subgraph: opts.subgraph, path: target.pathname }, 'upstream stream broke off; closing the client stream');
            res.destroy();
          }
          resolve();
        });
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) {
          const reason = (err as { code?: string }).code ?? 'no response';
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: `subgraph ${opts.subgraph} is unavailable: ${reason}`, subgraph: opts.subgraph } }));
        } else {
          res.destroy(err);
        }
        resolve();
      });
      // The client went away before the answer ended: stop the upstream work too.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        resolve();
      });
      req.pipe(upstream);
    });
}

function answerHeaders(answer: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of ['content-type', 'cache-control', 'x-accel-buffering', 'allow', 'retry-after']) {
    if (answer.headers[name] !== undefined) out[name] = answer.headers[name];
  }
  return out;
}
