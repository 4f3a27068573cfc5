// How the gateway talks to one subgraph: Apollo's HTTP data source, except that a subgraph that
// cannot be reached (connection refused or reset, or a 502/503/504 in front of it) answers its
// part of the plan with a typed UNAVAILABLE error naming it, so the other subgraphs' fields still
// arrive and the client can tell an outage from a bug. A read whose pooled connection turns out
// to be dead (reset by a subgraph that restarted) is sent once more on a fresh one; a mutation is
// not, since the subgraph may have acted on it before the reset. A subgraph that does not answer
// within the timeout is UNAVAILABLE too (reason TIMEOUT), before the client's own request times out.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
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

export class SubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly subgraph: string,
    url: string,
    private readonly sign: SignIdentity,
    timeoutMs = 0,
  ) {
    super({ url });
    if (timeoutMs > 0) {
      // Apollo's fetcher (make-fetch-happen) takes a per-request timeout.
      const fetcher = this.fetcher;
      this.fetcher = (input, init) => fetcher(input, { ...init, timeout: timeoutMs } as typeof init);
    }
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
      if (!(err instanceof SubgraphUnavailableError)) throw err;
      return { errors: [{ message: err.message, extensions: { code: 'UNAVAILABLE', dependency: this.subgraph, subgraph: this.subgraph } }] };
    }
  }

  override didEncounterError(error: Error, _req: unknown, response?: { status: number }): void {
    if (response === undefined) throw new SubgraphUnavailableError(this.subgraph, networkReason(error));
    if (unavailableStatuses.has(response.status)) throw new SubgraphUnavailableError(this.subgraph, `HTTP ${response.status}`);
    throw error;
  }
}

function networkReason(error: Error): string {
  if ((error as { type?: unknown }).type === 'request-timeout') return 'TIMEOUT';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'no response';
}
