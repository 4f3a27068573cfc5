import type { IncomingMessage } from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Runtime } from '../runtime';
import { startHttpServer, type RawRoute, type RunningHttpServer } from '../http/server';
import { createSubgraphServer } from './subgraph';
import type { GraphQLLimits } from './limits';
import { identityHeader, type Identity } from '../identity';
import { authorizeResolvers, type FieldRoles } from './authorize';

export interface ServeSubgraphOptions<TContext extends BaseContext> {
  typeDefs: string;
  resolvers: GraphQLResolverMap<TContext & { identity: Identity }>;
  /** The role every Query and Mutation field needs (see graphql/authorize.ts); start fails if one is missing. */
  roles: FieldRoles;
  /** The request's context; the verified caller (see identity/) is added to it as `identity`. */
  context: (req: IncomingMessage, identity: Identity) => Promise<TContext>;
  /** Extra HTTP routes beside /graphql (see HttpServerOptions.routes). */
  routes?: Record<string, RawRoute>;
  /** Document limits (see graphql/limits.ts); default `defaultSubgraphLimits`. */
  limits?: GraphQLLimits;
  /** Overrides the production default for introspection (e.g. from GRAPHQL_INTROSPECTION). */
  introspection?: boolean;
}

/** Serves a subgraph on the runtime's HTTP port, beside /healthz, /readyz and /metrics. */
export function serveSubgraph<TContext extends BaseContext>(
  runtime: Runtime,
  opts: ServeSubgraphOptions<TContext>,
): Promise<RunningHttpServer> {
  const { config, logger, metrics, lifecycle } = runtime;
  type Ctx = TContext & { identity: Identity };
  return startHttpServer<Ctx>({
    logger,
    metrics,
    lifecycle,
    host: config.HOST,
    port: config.HTTP_PORT,
    maxBodyBytes: config.HTTP_MAX_BODY_BYTES,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    routes: opts.routes,
    authenticate: async (req) => runtime.auth.authenticate(req.headers[identityHeader]),
    graphql: {
      server: createSubgraphServer<Ctx>({
        typeDefs: opts.typeDefs,
        resolvers: authorizeResolvers<Ctx>(opts.typeDefs, opts.resolvers, opts.roles),
        logger,
        metrics,
        production: config.NODE_ENV === 'production',
        introspection: opts.introspection,
        limits: opts.limits,
      }),
      context: async (req, identity) => ({ ...(await opts.context(req, identity)), identity }),
    },
  });
}
