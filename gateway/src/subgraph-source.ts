// How the gateway talks to one subgraph: Apollo's HTTP data source, except that a subgraph that
// cannot be reached (connection refused or reset, or a 502/503/504 in front of it) answers its
// part of the plan with a typed UNAVAILABLE error naming it, so the other subgraphs' fields still
// arrive and the client can tell an outage from a bug.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';

const unavailableStatuses = new Set([502, 503, 504]);

export class SubgraphUnavailableError extends Error {
  constructor(
    readonly subgraph: string,
    readonly reason: string,
  ) {
    super(`subgraph ${subgraph} is unavailable: ${reason}`);
  }
}

export class SubgraphSource extends RemoteGraphQLDataSource {
  constructor(
    readonly subgraph: string,
    url: string,
  ) {
    super({ url });
  }

  override async process(options: GraphQLDataSourceProcessOptions): ReturnType<RemoteGraphQLDataSource['process']> {
    try {
      return await super.process(options);
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
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'no response';
}
