// Composition root of the retrieval service: config -> dependencies -> servers -> lifecycle.
import { tracing } from './instrumentation';
import { Client } from '@elastic/elasticsearch';
import { retrievalV1 } from '@llmops/contracts';
import { EventProducer, GrpcServer, createKafka, createRuntime, ensureTopics, readSchemaFile, runAs, runMain, serveSubgraph, serviceIdentity } from '@llmops/platform';
import { config } from './config';
import { roles } from './graphql/roles';
import { createRetrievalMetrics } from './metrics';
import { CollectionIndexNames } from './adapters/collection-names.es';
import { excludeCollectionsFromAutoCreate } from './adapters/auto-create-guard.es';
import { EsCollections } from './adapters/collections.es';
import { EsDocuments } from './adapters/documents.es';
import { EsIngestionJobs } from './adapters/ingestion-jobs.es';
import { GrpcEmbedder } from './adapters/embedder.grpc';
import { GrpcHypotheticalDocumentWriter } from './adapters/hypothetical-documents.grpc';
import { KafkaIngestQueue } from './adapters/ingest-queue.kafka';
import { CollectionService } from './domain/collections';
import { EncoderBindings } from './domain/encoder-bindings';
import { IngestionService } from './domain/ingestion';
import { DocumentIndexer } from './domain/indexer';
import { SearchService } from './domain/search';
import { IngestConsumer, ingestTopic } from './kafka/ingest-consumer';
import { resolvers, type Context } from './graphql/resolvers';
import { retrieverGrpc, retrieverServiceName } from './grpc/retriever.grpc';

runMain(async () => {
  const runtime = createRuntime('retrieval', config);
  const { logger, metrics, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const own = createRetrievalMetrics(metrics);

  const es = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 30_000, maxRetries: 2 });
  lifecycle.onStop('elasticsearch client', () => es.close());
  const names = new CollectionIndexNames(config.ELASTICSEARCH_INDEX_PREFIX);
  const store = new EsCollections(es, names, {
    type: config.VECTOR_INDEX_TYPE,
    m: config.VECTOR_INDEX_M,
    efConstruction: config.VECTOR_INDEX_EF_CONSTRUCTION,
  });
  const documents = new EsDocuments(es, (collection) => names.indexOf(collection), {
    minCandidates: config.KNN_MIN_CANDIDATES,
    candidatesPerHit: config.KNN_CANDIDATES_PER_HIT,
  });
  const jobs = new EsIngestionJobs(es, config.INGESTION_JOB_INDEX);

  const queryEmbedder = new GrpcEmbedder(config.ENCODER_ADDRESS, config.SEARCH_ENCODER_DEADLINE_MS);
  const documentEmbedder = new GrpcEmbedder(config.ENCODER_ADDRESS, config.INGEST_ENCODER_DEADLINE_MS);
  lifecycle.onStop('encoder clients', () => {
    queryEmbedder.close();
    documentEmbedder.close();
  });
  const writer = config.GENERATION_ADDRESS
    ? new GrpcHypotheticalDocumentWriter(config.GENERATION_ADDRESS, {
        model: config.HYDE_MODEL,
        maxTokens: config.HYDE_MAX_TOKENS,
        temperature: config.HYDE_TEMPERATURE,
        deadlineMs: config.HYDE_DEADLINE_MS,
      })
    : null;
  if (writer) lifecycle.onStop('generation client', () => writer.close());

  const bindings = new EncoderBindings(queryEmbedder);
  const collections = new CollectionService(store, bindings);
  const search = new SearchService(collections, bindings, queryEmbedder, documents, writer, {
    hybridDepth: config.HYBRID_DEPTH,
    rrfK: config.RRF_K,
    hydeDocuments: config.HYDE_DOCUMENTS,
  });
  const kafka = createKafka({ clientId: 'retrieval', brokers: config.KAFKA_BROKERS, logger });
  const producer = new EventProducer(kafka, metrics);
  lifecycle.onStop('kafka producer', () => producer.disconnect());
  const ingestion = new IngestionService(collections, jobs, new KafkaIngestQueue(producer), documents);
  // The consumer embeds each event's documents as itself acting for the event's project.
  const indexer = new DocumentIndexer(collections, new EncoderBindings(documentEmbedder), documentEmbedder, documents, (projectId, work) =>
    runAs(serviceIdentity(`consumer:${config.INGEST_CONSUMER_GROUP}`, projectId), work),
  );
  const consumer = new IngestConsumer(
    kafka,
    indexer,
    jobs,
    { groupId: config.INGEST_CONSUMER_GROUP, batchSize: config.INGEST_BATCH_SIZE, partitionsConsumedConcurrently: config.INGEST_CONCURRENCY },
    logger,
    metrics,
    own,
  );
  lifecycle.onDrain('ingestion consumer', () => consumer.stop());

  const grpc = new GrpcServer({ logger, metrics, lifecycle, auth: runtime.auth, host: config.HOST, port: config.GRPC_PORT });
  grpc.addService(retrieverServiceName, retrievalV1.RetrieverServiceService, retrieverGrpc(grpc, search, own));
  await grpc.start();
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    roles,
    resolvers,
    context: async () => ({ collections, ingestion, search, documents, metrics: own }),
  });

  const elasticsearch = lifecycle.dependency('elasticsearch', async () => {
    await es.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
    await jobs.ensureIndices();
    await excludeCollectionsFromAutoCreate(es, config.ELASTICSEARCH_INDEX_PREFIX, logger);
  });
  const broker = lifecycle.dependency('kafka', async () => {
    await ensureTopics(kafka, [ingestTopic]);
    await producer.connect();
  });
  if ((await Promise.all([elasticsearch, broker])).every(Boolean)) await consumer.start();
});
