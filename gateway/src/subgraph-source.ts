// How the gateway talks to one subgraph: Apollo's HTTP data source, except that a subgraph that
// cannot be reached (connection refused or reset, or a 502/503/504 in front of it) answers its
// part of the plan with a typed UNAVAILABLE error naming it, so the other subgraphs' fields still
// arrive and the client can tell an outage from a bug. A read whose pooled connection turns out
// to be dead (reset by a subgraph that restarted) is sent once more on a fresh one; a mutation is
// not, since the subgraph may have acted on it before the reset. A subgraph that does not answer
// within the timeout is UNAVAILABLE too (reason TIMEOUT), before the client's own request times out.
// Any other non-2xx answer never reaches the client as Apollo's error (whose extensions.response
// holds the subgraph's internal URL and body): a 4xx with typed GraphQL errors in its body (a
// subgraph's own limits, PAYLOAD_TOO_LARGE, a NUL in a GET query, …) passes those errors on with
// their codes; anything else, 401 and 403 included (the subgraph refusing the gateway's signed
// identity), is an INTERNAL_SERVER_ERROR naming the subgraph and the HTTP status.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './context';

/** The signed identity header for the request's caller (see @llmops/platform identity). */
export type SignIdentity = (context: GatewayContext) => Record<string, string>;

const unavailableStatuses = new Set([502, 503, 504]);
/** Network errors of a connection that died under the request (typically a stale keep-alive socket). */
const staleConnectionCodes = new Set(['ECONNRESET', 'EPIPE']);
const isWrite = (query: string | undefined) => /^\s*(mutation|subscription)\b/.test(query ?? '');

export class SubgraphUnavailableError extends Error {
  constructor(
    readonly subgraph: string,
    readonly reason: string,
  ) {
    super(`subgraph ${subgraph} is unavailable: ${reason}`);
  }
}

/** A subgraph answered with an HTTP status that is neither success nor unavailability. */
export class SubgraphHttpError extends Error {
  constructor(
    readonly subgraph: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`subgraph ${subgraph} answered HTTP ${status}`);
  }

  /**
   * What the client may see: the body's typed errors (a 4xx about the request), or one error that
   * says only what failed. A 401 or 403 is the subgraph refusing the gateway's own signed identity
   * (a wrong INTERNAL_AUTH_SECRET, clocks apart): the gateway's fault, not the client's, so it is
   * an internal error too.
   */
  clientErrors(): GraphQLFormattedError[] {
    if (this.status === 401 || this.status === 403) {
      return [
        {
          message: `subgraph ${this.subgraph} refused the gateway's signed identity (HTTP ${this.status})`,
          extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: this.subgraph, status: this.status },
        },
      ];
    }
    const typed = this.status >= 400 && this.status < 500 ? typedErrorsOf(this.body) : undefined;
    return typed ?? [{ message: this.message, extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: this.subgraph, status: this.status } }];
  }
}

/** The errors of a GraphQL error body when every one has a message and a code; internals (response, stacktrace) removed. */
function typedErrorsOf(body: unknown): GraphQLFormattedError[] | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const typed: GraphQLFormattedError[] = [];
  for (const e of errors as Array<{ message?: unknown; extensions?: Record<string, unknown> } | null>) {
    if (typeof e?.message !== 'string' || typeof e.extensions?.['code'] !== 'string') return undefined;
    const { response: _response, stacktrace: _stacktrace, ...extensions } = e.extensions;
    typed.push({ message: e.message, extensions });
  }
  return typed;
}

/**
 * A pooled connection unused this long is closed by the gateway, before the subgraphs close it
 * (their HTTP_KEEP_ALIVE_TIMEOUT_MS, 65 s): a subgraph closing it first can cross a request the
 * gateway is sending on it, which then fails with ECONNRESET — and a mutation is never resent.
 */
export const idleConnectionMs = 60_000;

export class SubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly subgraph: string,
    url: string,
    private readonly sign: SignIdentity,
    timeoutMs = 0,
    idleMs = idleConnectionMs,
  ) {
    super({ url });
    // Apollo's fetcher (make-fetch-happen) takes a per-request timeout, and an agent: its own
    // (@npmcli/agent) never closes idle pooled connections, so this one does. Node's agent applies
    // `timeout` to pooled connections only (a request waiting longer for its answer is not cut).
    const agent = new (new URL(url).protocol === 'https:' ? HttpsAgent : HttpAgent)({ keepAlive: true, maxSockets: Infinity, timeout: idleMs });
    const fetcher = this.fetcher;
    this.fetcher = (input, init) => fetcher(input, { ...init, agent, ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}) } as typeof init);
  }

  /** Every subgraph request carries the caller's signed identity; the client's own headers are not passed on. */
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]): void {
    const identity = (context as Partial<GatewayContext> | undefined)?.identity;
    if (!identity) return;
    for (const [key, value] of Object.entries(this.sign({ identity }))) request.http?.headers.set(key, value);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource['process']> {
    try {
      try {
        return await super.process(options);
      } catch (err) {
        if (!(err instanceof SubgraphUnavailableError) || !staleConnectionCodes.has(err.reason) || isWrite(options.request.query)) throw err;
        return await super.process(options);
      }
    } catch (err) {
      if (err instanceof SubgraphHttpError) return { errors: err.clientErrors() };
      if (!(err instanceof SubgraphUnavailableError)) throw err;
      return { errors: [{ message: err.message, extensions: { code: 'UNAVAILABLE', dependency: this.subgraph, subgraph: this.subgraph } }] };
    }
  }

  override didEncounterError(error: Error, _req: unknown, response?: { status: number }): void {
    if (response === undefined) throw new SubgraphUnavailableError(this.subgraph, networkReason(error));
    if (unavailableStatuses.has(response.status)) throw new SubgraphUnavailableError(this.subgraph, `HTTP ${response.status}`);
    // Apollo's error for a non-2xx answer carries the parsed body in extensions.response.
    if (response.status >= 300) throw new SubgraphHttpError(this.subgraph, response.status, (error as { extensions?: { response?: { body?: unknown } } }).extensions?.response?.body);
    throw error;
  }
}

function networkReason(error: Error): string {
  if ((error as { type?: unknown }).type === 'request-timeout') return 'TIMEOUT';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'no response';
}
