// Composition root of the encoder service: config -> models -> servers -> lifecycle.
import { tracing } from './instrumentation';
import { GrpcServer, createRuntime, readSchemaFile, runMain, serveSubgraph } from '@llmops/platform';
import { encoderV1 } from '@llmops/contracts';
import { config } from './config';
import { roles } from './graphql/roles';
import { buildEncoder } from './build-encoder';
import { createEncoderMetrics } from './metrics';
import { TrainingJobs } from './domain/training-jobs';
import { BeirDatasetSource } from './adapters/beir-dataset.fs';
import { trainingProgressLogger } from './training-log';
import { resolvers, type Context } from './graphql/resolvers';
import { encoderGrpc, encoderServiceName } from './grpc/encoder.grpc';

runMain(async () => {
  const runtime = createRuntime('encoder', config);
  const { logger, metrics, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());

  const encoderMetrics = createEncoderMetrics(metrics);
  const encoder = await buildEncoder(config, { observer: encoderMetrics.observer, onBatch: encoderMetrics.onBatch });
  lifecycle.onStop('models', () => encoder.close());
  // Ready while every model can embed (an ONNX model's worker copies may all be loading again).
  lifecycle.addReadinessCheck('embedding models', () => {
    const problems = encoder.runners.flatMap((r) => {
      const problem = r.backend.problem?.() ?? null;
      return problem ? [`${r.spec.name}: ${problem}`] : [];
    });
    return problems.length ? problems.join('; ') : null;
  });
  for (const pending of encoder.pendingAdapters) logger.warn({ pending }, 'adapter not trained yet: the tower serves without it until trained');
  const { embeddings } = encoder;
  const datasets = new BeirDatasetSource(config.ENCODER_DATASET_DIR ?? null);
  const jobs = new TrainingJobs(embeddings, datasets, encoder.adapters, trainingProgressLogger(logger));
  logger.info(
    { models: embeddings.models.map((m) => ({ name: m.name, towers: m.kind })), backend: config.ENCODER_BACKEND },
    'embedding models loaded',
  );

  const grpc = new GrpcServer({ logger, metrics, lifecycle, auth: runtime.auth, host: config.HOST, port: config.GRPC_PORT });
  grpc.addService(encoderServiceName, encoderV1.EncoderServiceService, encoderGrpc(grpc, embeddings));
  await grpc.start();
  await serveSubgraph<Context>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    roles,
    resolvers,
    context: async () => ({ embeddings, jobs, adapters: encoder.adapters }),
  });

  if (config.ENCODER_BACKEND === 'openai') {
    // The remote server may start after us: readiness names it until one embedding round-trips.
    void lifecycle.dependency('embedding backend', async () => {
      await embeddings.embed({ model: null, inputType: 'QUERY', texts: ['ready?'] });
    });
  }
});
