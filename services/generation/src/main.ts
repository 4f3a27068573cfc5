// Composition root of the generation service: config -> dependencies -> servers -> lifecycle.
import { tracing } from './instrumentation';
import {
  EventProducer,
  GrpcServer,
  OutboxRelay,
  createKafka,
  createPgPool,
  createRuntime,
  ensureTopics,
  migrate,
  readSchemaFile,
  runMain,
  serveSubgraph,
} from '@llmops/platform';
import { generationV1 } from '@llmops/contracts';
import { config } from './config';
import { roles } from './graphql/roles';
import { buildBackends } from './build-backends';
import { createGenerationMetrics } from './metrics';
import { migrations, schema } from './adapters/migrations';
import { GrpcPromptRegistry } from './adapters/prompt-registry.grpc';
import { GrpcRetriever } from './adapters/retriever.grpc';
import { GrpcEmbedder } from './adapters/embedder.grpc';
import { resolvers, type Context } from './graphql/resolvers';
import { generatorGrpc } from './grpc/generator.grpc';
import { projectServices } from './project-services';
import { generateStreamPath, generateStreamRoute } from './http/generate-stream.sse';

runMain(async () => {
  const runtime = createRuntime('generation', config);
  const { logger, metrics, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const generationMetrics = createGenerationMetrics(metrics, logger);

  const backends = await buildBackends(config, { onQueueChange: generationMetrics.onQueueChange });
  lifecycle.onStop('model backends', () => backends.close());
  logger.info({ models: backends.router.models(), threads: config.GENERATION_THREADS, sequences: config.GENERATION_SEQUENCES }, 'models loaded');

  const pool = createPgPool(config.DATABASE_URL, logger);
  lifecycle.onStop('postgresql pool', () => pool.end());
  const kafka = createKafka({ clientId: 'generation', brokers: config.KAFKA_BROKERS, logger });
  const producer = new EventProducer(kafka, metrics);
  lifecycle.onStop('kafka producer', () => producer.disconnect());
  const relay = new OutboxRelay(pool, schema, producer, runtime);

  const registry = new GrpcPromptRegistry(config.PROMPT_REGISTRY_ADDRESS);
  lifecycle.onStop('prompt registry client', () => registry.close());
  const retriever = config.RETRIEVAL_ADDRESS ? new GrpcRetriever(config.RETRIEVAL_ADDRESS) : null;
  if (retriever) lifecycle.onStop('retrieval client', () => retriever.close());

  const embedder = config.ENCODER_ADDRESS ? new GrpcEmbedder(config.ENCODER_ADDRESS) : null;
  if (embedder) lifecycle.onStop('encoder client', () => embedder.close());
  const servicesFor = projectServices({
    pool,
    onEventsCommitted: () => relay.wake(),
    router: backends.router,
    registry,
    retriever,
    embedder,
    // Session tokens are counted with the embedded model's tokenizer, whichever model answers.
    countTokens: (text) => backends.embedded.countTextTokens(text),
    sessionDefaults: { windowMessages: config.SESSION_WINDOW_MESSAGES, tokenBudget: config.SESSION_TOKEN_BUDGET },
    sessionLimits: { maxWindowMessages: 200, maxTokenBudget: 32_768, maxMessageChars: 100_000 },
    generationLimits: {
      maxTokens: config.GENERATION_MAX_TOKENS,
      defaultMaxTokens: config.GENERATION_DEFAULT_MAX_TOKENS,
      defaultTemperature: config.GENERATION_DEFAULT_TEMPERATURE,
      timeoutMs: config.GENERATION_TIMEOUT_MS,
      maxCompletions: 8,
    },
    pipelineTimeoutMs: config.PIPELINE_TIMEOUT_MS,
    defaultTokensPerDay: config.GENERATION_PROJECT_TOKENS_PER_DAY,
    observer: generationMetrics.observer,
  });

  const generationsFor = (projectId: string) => servicesFor(projectId).generations;

  // In-flight generations run on while the servers drain (a rolling update does not cut them); those
  // still running near the end of the drain budget stop, recorded as cancelled, and are answered so.
  const shutdown = lifecycle.drainDeadline;
  const grpc = new GrpcServer({ logger, metrics, lifecycle, auth: runtime.auth, host: config.HOST, port: config.GRPC_PORT });
  grpc.addService(
    'llmops.generation.v1.GeneratorService',
    generationV1.GeneratorServiceService,
    generatorGrpc(grpc, generationsFor, { logger, metrics, shutdown }),
  );
  await grpc.start();
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    roles,
    resolvers,
    context: async (_req, identity) => ({ ...servicesFor(identity.projectId), identity, signal: shutdown }),
    routes: {
      [generateStreamPath]: generateStreamRoute({ generationsFor, logger, maxBodyBytes: config.HTTP_MAX_BODY_BYTES, shutdown }),
    },
  });

  const database = lifecycle.dependency('postgresql', () => migrate(pool, schema, migrations, logger));
  const broker = lifecycle.dependency('kafka', async () => {
    await ensureTopics(kafka, ['generation.completed.v1']);
    await producer.connect();
  });
  if ((await Promise.all([database, broker])).every(Boolean)) relay.start();
});
