// Composition root of the prompt-registry service: config -> dependencies -> servers -> lifecycle.
import { tracing } from './instrumentation';
import { randomUUID } from 'node:crypto';
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import {
  serviceIdentity,
  type Identity,
  EventConsumer,
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
import { promptRegistryV1 } from '@llmops/contracts';
import { config } from './config';
import { roles } from './graphql/roles';
import { migrations, schema } from './adapters/migrations';
import { PgPromptStore } from './adapters/prompt-store.pg';
import { PromptService } from './domain/prompt-service';
import { VersionCache } from './domain/version-cache';
import { PromptSimilarity } from './domain/similarity';
import { GrpcPromptEmbedder } from './adapters/prompt-embedder.grpc';
import { EsPromptIndex } from './adapters/prompt-index.es';
import { resolvers, type Context } from './graphql/resolvers';
import { promptRegistryGrpc } from './grpc/prompt-registry.grpc';

runMain(async () => {
  const runtime = createRuntime('prompt-registry', config);
  const { logger, metrics, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());

  const pool = createPgPool(config.DATABASE_URL, logger);
  lifecycle.onStop('postgresql pool', () => pool.end());
  const kafka = createKafka({ clientId: 'prompt-registry', brokers: config.KAFKA_BROKERS, logger });
  const producer = new EventProducer(kafka, metrics);
  lifecycle.onStop('kafka producer', () => producer.disconnect());
  const relay = new OutboxRelay(pool, schema, producer, runtime);
  // The cache serves aliases only while the invalidation consumer is receiving their events.
  const cache = new VersionCache(config.RENDER_CACHE_SIZE, false);
  /** The registry as one caller sees it: their project's prompts, their role, the protected aliases. */
  const promptsFor = (identity: Identity) =>
    new PromptService(new PgPromptStore(pool, () => relay.wake(), identity.projectId, identity.subject), cache, {
      projectId: identity.projectId,
      role: identity.role,
      protectedAliases: config.PROTECTED_ALIASES,
    });
  /** What the registry's own consumers act as, for the project an event belongs to. */
  const promptsOfProject = (projectId: string) => promptsFor(serviceIdentity('prompt-registry', projectId));

  const es = new Elasticsearch({ node: config.ELASTICSEARCH_URL, requestTimeout: 10_000, maxRetries: 2 });
  lifecycle.onStop('elasticsearch client', () => es.close());
  const embedder = new GrpcPromptEmbedder(config.ENCODER_ADDRESS, config.SIMILARITY_MODEL);
  lifecycle.onStop('encoder client', () => embedder.close());
  const similarity = new PromptSimilarity(embedder, new EsPromptIndex(es, config.PROMPT_INDEX));

  const grpc = new GrpcServer({ logger, metrics, lifecycle, auth: runtime.auth, host: config.HOST, port: config.GRPC_PORT });
  grpc.addService(
    'llmops.prompt_registry.v1.PromptRegistryService',
    promptRegistryV1.PromptRegistryServiceService,
    promptRegistryGrpc(grpc, promptsFor),
  );
  await grpc.start();
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    roles,
    resolvers,
    context: async (_req, identity) => ({ identity, prompts: promptsFor(identity), similarity }),
  });

  const database = lifecycle.dependency('postgresql', () => migrate(pool, schema, migrations, logger));
  // Every replica sees every alias and version event (a group of its own) and drops what it cached.
  const invalidations = new EventConsumer(
    kafka,
    {
      groupId: `prompt-registry-cache-${randomUUID()}`,
      topics: ['prompt.alias.moved.v1', 'prompt.version.created.v1'],
      fromBeginning: false,
      onActiveChange: (active) => cache.setEnabled(active),
      handle: async (_topic, event) => {
        const prompts = promptsOfProject(event.projectId);
        if ('alias' in event) prompts.onAliasMoved(event.promptName, event.alias);
        else prompts.onVersionCreated(event.promptName);
      },
    },
    logger,
    metrics,
  );
  lifecycle.onDrain('cache invalidation consumer', () => invalidations.stop());
  // Every new version is embedded and indexed for similarPrompts (at least once; idempotent by id).
  const indexer = new EventConsumer(
    kafka,
    {
      groupId: 'prompt-registry-similarity-indexer',
      topics: ['prompt.version.created.v1'],
      handle: async (_topic, event) => {
        const version = await promptsOfProject(event.projectId).findVersionById(event.versionId);
        if (version) await similarity.indexVersion(version, event.projectId);
      },
      maxAttempts: 5,
    },
    logger,
    metrics,
  );
  lifecycle.onDrain('similarity indexer', () => indexer.stop());
  const broker = lifecycle.dependency('kafka', async () => {
    await ensureTopics(kafka, ['prompt.version.created.v1', 'prompt.alias.moved.v1']);
    await producer.connect();
    await invalidations.start();
  });
  const search = lifecycle.dependency('elasticsearch', async () => {
    await es.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
  });
  if ((await Promise.all([database, broker, search])).every(Boolean)) {
    relay.start();
    await indexer.start();
  }
});
