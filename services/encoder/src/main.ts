// Composition root of the encoder service.
import { tracing } from './instrumentation';
import { join } from 'node:path';
import { createRuntime, readSchemaFile, requireModelFile, runMain, serveSubgraph } from '@llmops/platform';
import { config } from './config';
import { resolveModels } from './domain/catalog';
import { resolvers, type Context } from './graphql/resolvers';

runMain(async () => {
  const runtime = createRuntime('encoder', config);
  runtime.lifecycle.onStop('tracing', () => tracing.shutdown());
  const models = resolveModels(config.ENCODER_MODELS.split(',').map((s) => s.trim()).filter(Boolean));
  for (const model of models) {
    requireModelFile(join(config.MODEL_DIR, model.folder, 'model.onnx'));
    requireModelFile(join(config.MODEL_DIR, model.folder, 'tokenizer.json'));
  }
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    resolvers,
    context: async () => ({ models }),
  });
});
