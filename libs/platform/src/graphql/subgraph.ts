import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createErrorFormatter } from './format-error';
import { costLimitPlugin, defaultSubgraphLimits, limitRules, parseOptionsFor, type GraphQLLimits } from './limits';
import { metricsPlugin } from './metrics-plugin';

export interface SubgraphOptions<TContext extends BaseContext> {
  typeDefs: string;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  metrics: Metrics;
  /** Production mode: no introspection, no schema hints ("Did you mean …") in errors; never stack traces. */
  production: boolean;
  /** Overrides `production` for introspection alone (GRAPHQL_INTROSPECTION). */
  introspection?: boolean;
  /** Document limits; default `defaultSubgraphLimits` (headroom above the gateway's). */
  limits?: GraphQLLimits;
}

/** Apollo Server 5 over a federation v2 subgraph schema, with the platform's error and metrics policy. */
export function createSubgraphServer<TContext extends BaseContext>(opts: SubgraphOptions<TContext>): ApolloServer<TContext> {
  const limits = opts.limits ?? defaultSubgraphLimits;
  return new ApolloServer<TContext>({
    schema: buildSubgraphSchema({ typeDefs: parse(opts.typeDefs), resolvers: opts.resolvers as GraphQLResolverMap<unknown> }),
    introspection: opts.introspection ?? !opts.production,
    validationRules: limitRules(limits),
    parseOptions: parseOptionsFor(limits),
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: opts.production,
    csrfPrevention: true,
    // The platform's lifecycle owns signals and stops the server in order.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(opts.logger),
    logger: opts.logger,
    // Inline traces (ftv1) would hand resolver timings to any caller; tracing is OpenTelemetry's job.
    // The cost validation rule counts variables by their defaults; costLimitPlugin checks each
    // request again with its variables' values.
    plugins: [metricsPlugin(opts.metrics), ApolloServerPluginInlineTraceDisabled(), costLimitPlugin(limits)],
  });
}
