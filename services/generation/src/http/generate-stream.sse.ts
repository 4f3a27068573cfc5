// POST /v1/generate/stream (JSON body) and GET /v1/generate/stream?input=<JSON> (for
// EventSource): a generation streamed as Server-Sent Events. Events: `started`, `text` (one per
// piece of output), then `completed` with the recorded generation, or `error`. A client that
// disconnects cancels the generation (recorded as CANCELLED with the partial output). Like the
// generate mutation, it needs an editor, and generates in the caller's project. Text PostgreSQL
// cannot store (NUL, a lone surrogate) is a 400 naming the field, as on the GraphQL route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, InputError, refuseUnstorableText, requireRole, linkSignals, type Logger, type RawRoute } from '@llmops/platform';
import type { GenerationService } from '../domain/generation-service';
import type { Generation, GenerateRequest } from '../domain/model';
import { parseGenerateInput } from '../graphql/inputs';

export const generateStreamPath = '/v1/generate/stream';

export interface StreamRouteOptions {
  /** The generations of one project (the caller's). */
  generationsFor: (projectId: string) => GenerationService;
  logger: Logger;
  maxBodyBytes: number;
  /** Aborted near the end of the shutdown drain (Lifecycle.drainDeadline). */
  shutdown: AbortSignal;
  /** Comment lines keep idle proxies from closing the stream while a request waits in the queue. */
  keepAliveMs?: number;
}

export function generateStreamRoute(opts: StreamRouteOptions): RawRoute {
  return async (req, res, identity) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { allow: 'GET, POST, OPTIONS' }).end();
      return;
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST (JSON body) or GET (?input=JSON)' } });
      return;
    }
    let request: GenerateRequest;
    try {
      requireRole(identity, 'editor', `POST ${generateStreamPath}`);
      const input = await readInput(req, opts.maxBodyBytes);
      request = parseGenerateInput(input);
      // Text PostgreSQL cannot store is refused here, before the model runs and the record fails.
      refuseUnstorableText(input as Record<string, unknown>);
    } catch (err) {
      const e = err instanceof DomainError ? err : new InputError('request body is not valid JSON', 'body');
      sendJson(res, e instanceof BodyTooLargeError ? 413 : e.code === 'FORBIDDEN' ? 403 : 400, { error: { code: e.code, message: e.message, ...e.details } });
      return;
    }

    const disconnected = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) disconnected.abort(new Error('client disconnected'));
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const keepAlive = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': keep-alive\n\n');
    }, opts.keepAliveMs ?? 15_000);
    const linked = linkSignals(disconnected.signal, opts.shutdown);
    try {
      const generation = await opts.generationsFor(identity.projectId).generate(request, {
        signal: linked.signal,
        onEvent: (e) => (e.type === 'text' ? send('text', { text: e.text }) : send('started', e)),
      });
      send('completed', { generation: summary(generation) });
    } catch (err) {
      if (!disconnected.signal.aborted) {
        if (err instanceof DomainError) {
          send('error', { code: err.code, message: err.message, ...err.details });
        } else {
          opts.logger.error({ err }, 'streamed generation failed');
          send('error', { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' });
        }
      }
    } finally {
      linked.release();
      clearInterval(keepAlive);
      res.end();
    }
  };
}

class BodyTooLargeError extends InputError {
  constructor(limitBytes: number) {
    super(`request body exceeds the limit of ${limitBytes} bytes`, 'body', { limitBytes });
  }
}

async function readInput(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  if (req.method === 'GET') {
    const raw = new URL(req.url ?? '/', 'http://localhost').searchParams.get('input');
    if (!raw) throw new InputError('input: give the request as ?input=<JSON>', 'input');
    if (raw.length > limitBytes) throw new BodyTooLargeError(limitBytes);
    return JSON.parse(raw) as unknown;
  }
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) throw new BodyTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

const summary = (g: Generation) => ({
  id: g.id,
  status: g.status,
  output: g.output,
  model: g.model,
  backend: g.backend,
  finishReason: g.finishReason,
  promptTokens: g.promptTokens,
  completionTokens: g.completionTokens,
  latencyMs: g.latencyMs,
  timeToFirstTokenMs: g.timeToFirstTokenMs,
  promptName: g.promptName,
  promptVersion: g.promptVersion,
  promptVersionId: g.promptVersionId,
  retrievedDocumentIds: g.retrievedDocumentIds,
  traceId: g.traceId,
});

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
