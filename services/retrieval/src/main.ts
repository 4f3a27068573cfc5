// Composition root of the retrieval service.
import { tracing } from './instrumentation';
import { Client } from '@elastic/elasticsearch';
import { createRuntime, readSchemaFile, runMain, serveSubgraph } from '@llmops/platform';
import { config } from './config';
import { EsCollections } from './adapters/collections.es';
import { resolvers, type Context } from './graphql/resolvers';

runMain(async () => {
  const runtime = createRuntime('retrieval', config);
  const { lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const es = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 10_000, maxRetries: 2 });
  lifecycle.onStop('elasticsearch client', () => es.close());
  const collections = new EsCollections(es, config.ELASTICSEARCH_INDEX_PREFIX);
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    resolvers,
    context: async () => ({ collections }),
  });
  await lifecycle.dependency('elasticsearch', async () => {
    await es.cluster.health({ wait_for_status: 'yellow', timeout: '5s' });
  });
});
