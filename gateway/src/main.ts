// Composition root of the gateway: the committed supergraph (or, in development, one composed
// from the running subgraphs) served with the platform's HTTP surface.
import { tracing } from './instrumentation';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import {
  createErrorFormatter,
  createRuntime,
  introspectionEnabled,
  limitRules,
  limitsFromConfig,
  parseOptionsFor,
  runMain,
  startHttpServer,
} from '@llmops/platform';
import { config } from './config';
import { SubgraphSource } from './subgraph-source';
import { subgraphs, supergraphFile, type SubgraphName } from './subgraphs';

const urls: Record<SubgraphName, string> = {
  'prompt-registry': config.PROMPT_REGISTRY_URL,
  generation: config.GENERATION_URL,
  encoder: config.ENCODER_URL,
  retrieval: config.RETRIEVAL_URL,
  feedback: config.FEEDBACK_URL,
};

runMain(async () => {
  const runtime = createRuntime('gateway', config);
  const { logger, metrics, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());

  const gateway = new ApolloGateway({
    logger,
    buildService: ({ name, url }) => new SubgraphSource(name, urls[name as SubgraphName] ?? url ?? ''),
    ...(config.SUPERGRAPH_MODE === 'introspect'
      ? { supergraphSdl: new IntrospectAndCompose({ subgraphs: subgraphs.map((s) => ({ name: s.name, url: urls[s.name] })) }) }
      : { supergraphSdl: readFileSync(supergraphFile, 'utf8') }),
  });
  const limits = limitsFromConfig(config);
  const server = new ApolloServer({
    gateway,
    logger,
    introspection: introspectionEnabled(config),
    // Depth, aliases, directives and cost are validation rules; tokens are the parser's limit.
    validationRules: limitRules(limits),
    parseOptions: parseOptionsFor(limits),
    includeStacktraceInErrorResponses: false,
    // Production strips "Did you mean …" field suggestions and other schema hints from errors.
    hideSchemaDetailsFromClientErrors: config.NODE_ENV === 'production',
    csrfPrevention: true,
    // The platform's lifecycle owns signals and stops the server in order.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(logger),
  });
  await startHttpServer({
    logger,
    metrics,
    lifecycle,
    host: config.HOST,
    port: config.HTTP_PORT,
    maxBodyBytes: config.HTTP_MAX_BODY_BYTES,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    graphql: { server, context: async () => ({}) },
  });
});
