// Composition root of the gateway: the committed supergraph (or, in development, one composed
// from the running subgraphs) served with the platform's HTTP surface.
import { tracing } from './instrumentation';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import {
  ConfigError,
  costLimitPlugin,
  createErrorFormatter,
  createPgPool,
  createRuntime,
  migrate,
  introspectionEnabled,
  limitRules,
  limitsFromConfig,
  parseOptionsFor,
  runMain,
  startHttpServer,
} from '@llmops/platform';
import { config } from './config';
import { subgraphTimeoutMs } from './config-schema';
import { SubgraphSource } from './subgraph-source';
import { streamProxy } from './stream-proxy';
import { subgraphs, supergraphFile, type SubgraphName } from './subgraphs';
import type { GatewayContext } from './context';
import { Authenticator } from './auth/authenticator';
import { bootstrapIdentity } from './auth/bootstrap';
import { PgIdentityStore } from './auth/identity-store.pg';
import { JwtVerifier } from './auth/jwt';
import { identityMigrations, identitySchema } from './auth/migrations';
import { AuthFailureLimiter, ProjectRateLimiter } from './auth/rate-limiter';
import { admission } from './auth/admission';

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
  const pool = createPgPool(config.DATABASE_URL, logger);
  lifecycle.onStop('postgresql pool', () => pool.end());
  const identities = new PgIdentityStore(pool);
  const authenticator = new Authenticator({
    required: runtime.auth.required,
    store: identities,
    jwt: config.AUTH_JWT_JWKS_URL
      ? new JwtVerifier({
          jwksUrl: config.AUTH_JWT_JWKS_URL,
          // Both required with AUTH_JWT_JWKS_URL by the config schema (and checked again by the verifier).
          issuer: config.AUTH_JWT_ISSUER ?? '',
          audience: config.AUTH_JWT_AUDIENCE ?? '',
          projectClaim: config.AUTH_JWT_PROJECT_CLAIM,
          roleClaim: config.AUTH_JWT_ROLE_CLAIM,
        })
      : null,
    cacheMs: config.AUTH_API_KEY_CACHE_MS,
  });
  const admit = admission({
    authenticator,
    failures: new AuthFailureLimiter(config.GATEWAY_AUTH_FAILURES_PER_MINUTE, config.GATEWAY_AUTH_FAILURES_BURST),
    requests: new ProjectRateLimiter(config.GATEWAY_RATE_LIMIT_PER_MINUTE, config.GATEWAY_RATE_LIMIT_BURST),
    trustedProxyHops: config.GATEWAY_TRUSTED_PROXY_HOPS,
  });

  const gateway = new ApolloGateway({
    logger,
    buildService: ({ name, url }) =>
      new SubgraphSource(name, urls[name as SubgraphName] ?? url ?? '', (context) => runtime.auth.outgoing(context.identity), subgraphTimeoutMs(config, name)),
    ...(config.SUPERGRAPH_MODE === 'introspect'
      ? { supergraphSdl: new IntrospectAndCompose({ subgraphs: subgraphs.map((s) => ({ name: s.name, url: urls[s.name] })) }) }
      : { supergraphSdl: readFileSync(supergraphFile, 'utf8') }),
  });
  const limits = limitsFromConfig(config);
  const server = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    introspection: introspectionEnabled(config),
    // Depth, aliases, directives and cost are validation rules; tokens are the parser's limit.
    validationRules: limitRules(limits),
    // Validation sees no variables: the cost of lists sized by them (`first: $n`) is checked per request.
    plugins: [costLimitPlugin(limits)],
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
    authenticate: admit,
    graphql: { server, context: async (_req, identity) => ({ identity }) },
    routes: {
      // The generation service's Server-Sent Events, for browsers (see services/generation README).
      '/v1/generate/stream': streamProxy({ upstream: config.GENERATION_URL, subgraph: 'generation', sign: (identity) => runtime.auth.outgoing(identity), logger }),
    },
  });
  let misconfigured: ConfigError | undefined;
  await lifecycle.dependency('postgresql', async () => {
    await migrate(pool, identitySchema, identityMigrations, logger);
    try {
      await bootstrapIdentity(identities, { apiKey: config.AUTH_BOOTSTRAP_API_KEY, project: config.AUTH_BOOTSTRAP_PROJECT, logger });
    } catch (err) {
      // A bootstrap key that contradicts the database is not an outage to wait out: stop (exit 1).
      if (!(err instanceof ConfigError)) throw err;
      misconfigured = err;
    }
  });
  if (misconfigured) throw misconfigured;
});
