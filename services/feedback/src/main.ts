// Composition root of the feedback service.
import { tracing } from './instrumentation';
import { createPgPool, createRuntime, migrate, readSchemaFile, runMain, serveSubgraph } from '@llmops/platform';
import { config } from './config';
import { migrations, schema } from './adapters/migrations';
import { PgDatasetStore } from './adapters/dataset-store.pg';
import { DatasetService } from './domain/datasets';
import { resolvers, type Context } from './graphql/resolvers';

runMain(async () => {
  const runtime = createRuntime('feedback', config);
  const { logger, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const pool = createPgPool(config.DATABASE_URL, logger);
  lifecycle.onStop('postgresql pool', () => pool.end());
  const datasets = new DatasetService(new PgDatasetStore(pool));
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    resolvers,
    context: async () => ({ datasets }),
  });
  await lifecycle.dependency('postgresql', () => migrate(pool, schema, migrations, logger));
});
