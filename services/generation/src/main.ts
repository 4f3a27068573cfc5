// Composition root of the generation service.
import { tracing } from './instrumentation';
import { join } from 'node:path';
import { createRuntime, readSchemaFile, requireModelFile, runMain, serveSubgraph } from '@llmops/platform';
import { config } from './config';
import { embeddedModelCatalog } from './domain/catalog';
import { resolvers, type Context } from './graphql/resolvers';

runMain(async () => {
  const runtime = createRuntime('generation', config);
  runtime.lifecycle.onStop('tracing', () => tracing.shutdown());
  const embedded = embeddedModelCatalog[config.GENERATION_EMBEDDED_MODEL];
  requireModelFile(join(config.MODEL_DIR, embedded.file));
  const models = [embedded];
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    resolvers,
    context: async () => ({ models }),
  });
});
