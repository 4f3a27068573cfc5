// Composition root of the feedback service.
import { tracing } from './instrumentation';
import { createPgPool, createRuntime, migrate, readSchemaFile, runMain, serveSubgraph } from '@llmops/platform';
import { config } from './config';
import { roles } from './graphql/roles';
import { migrations, schema } from './adapters/migrations';
import { PgDatasetStore } from './adapters/dataset-store.pg';
import { DatasetService } from './domain/datasets';
import { resolvers, type Context } from './graphql/resolvers';
import { PgDatasetItemStore } from './adapters/dataset-item-store.pg';
import { PgEvaluationStore, projectsWithUnfinishedRuns } from './adapters/evaluation-store.pg';
import { GrpcGenerator } from './adapters/generator.grpc';
import { GrpcEmbedder } from './adapters/embedder.grpc';
import { DatasetItemService } from './domain/dataset-items';
import { EvaluationRunService } from './domain/evaluation/run-service';
import { RunJobs } from './domain/evaluation/run-jobs';
import { evaluationResolvers, type EvaluationContext } from './graphql/evaluation-resolvers';
import { mergeResolverMaps } from './graphql/merge-resolvers';
import { feedbackResolvers, type FeedbackContext } from './graphql/feedback-resolvers';
import { wireFeedback } from './wire-feedback';

runMain(async () => {
  const runtime = createRuntime('feedback', config);
  const { logger, lifecycle } = runtime;
  lifecycle.onStop('tracing', () => tracing.shutdown());
  const pool = createPgPool(config.DATABASE_URL, logger);
  lifecycle.onStop('postgresql pool', () => pool.end());
  const generator = new GrpcGenerator(config.GENERATION_ADDRESS, config.EVALUATION_GENERATION_DEADLINE_MS);
  lifecycle.onStop('generation client', () => generator.close());
  const embedder = new GrpcEmbedder(config.ENCODER_ADDRESS, config.EVALUATION_EMBEDDING_MODEL);
  lifecycle.onStop('encoder client', () => embedder.close());
  const jobs = new RunJobs();
  lifecycle.onStop('evaluation runs', () => jobs.stop());
  const evaluationLog = logger.child({ component: 'evaluation' });
  // Every caller gets the services of its project: their stores are bounded to it.
  const evaluationsFor = (projectId: string) =>
    new EvaluationRunService({
      store: new PgEvaluationStore(pool, projectId),
      items: new PgDatasetItemStore(pool, projectId),
      generator,
      embedder,
      log: evaluationLog,
      concurrency: config.EVALUATION_CONCURRENCY,
      jobs,
      projectId,
    });
  const { feedbackFor, connect: connectKafka, startConsumers } = wireFeedback(runtime, config, pool);
  await serveSubgraph<Context & EvaluationContext & FeedbackContext>(runtime, {
    typeDefs: readSchemaFile(__dirname),
    roles,
    resolvers: mergeResolverMaps(resolvers, evaluationResolvers, feedbackResolvers),
    context: async (_req, { projectId }) => ({
      datasets: new DatasetService(new PgDatasetStore(pool, projectId)),
      datasetItems: new DatasetItemService(new PgDatasetItemStore(pool, projectId)),
      evaluations: evaluationsFor(projectId),
      feedback: feedbackFor(projectId),
    }),
  });
  const broker = connectKafka();
  const database = await lifecycle.dependency('postgresql', () => migrate(pool, schema, migrations, logger));
  if (database) {
    for (const projectId of await projectsWithUnfinishedRuns(pool)) await evaluationsFor(projectId).resumeUnfinished();
  }
  // Subscribing can fail while the broker is still electing the new topics' leaders ("does not
  // host this topic-partition"): retried with backoff, and the service is not ready until it works.
  if (database && (await broker)) await lifecycle.dependency('kafka consumers', startConsumers);
});
