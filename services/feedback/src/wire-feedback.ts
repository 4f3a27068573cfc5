// Wires the feedback feature for the composition root: Kafka producer and consumers, the
// PostgreSQL store, the generation service's GetGeneration (for generations whose event has not
// arrived yet), metrics, and the service for each project (feedbackFor).
import { randomUUID } from 'node:crypto';
import { EventProducer, createKafka, ensureTopics, type Pool, type Runtime } from '@llmops/platform';
import type { Config } from './config';
import { PgFeedbackStore } from './adapters/feedback-store.pg';
import { KafkaFeedbackPublisher } from './adapters/feedback-publisher.kafka';
import { GrpcGenerationLookup } from './adapters/generation-lookup.grpc';
import { FeedbackService } from './domain/feedback/feedback-service';
import { createFeedbackMetrics } from './feedback-metrics';
import { feedbackTopics, generationFactsConsumer, submittedFeedbackConsumer } from './kafka/feedback-consumers';

export function wireFeedback(runtime: Runtime, config: Config, pool: Pool) {
  const { logger, metrics, lifecycle } = runtime;
  const kafka = createKafka({ clientId: 'feedback', brokers: config.KAFKA_BROKERS, logger });
  const producer = new EventProducer(kafka, metrics);
  lifecycle.onStop('kafka producer', () => producer.disconnect());
  const lookup = new GrpcGenerationLookup(config.GENERATION_ADDRESS, config.FEEDBACK_GENERATION_LOOKUP_DEADLINE_MS);
  lifecycle.onStop('generation lookup client', () => lookup.close());
  const shared = {
    lookup,
    limits: {
      scoreMin: config.FEEDBACK_SCORE_MIN,
      scoreMax: config.FEEDBACK_SCORE_MAX,
      commentMaxChars: config.FEEDBACK_COMMENT_MAX_CHARS,
      maxLabels: config.FEEDBACK_MAX_LABELS,
      labelMaxChars: config.FEEDBACK_LABEL_MAX_CHARS,
      userMaxChars: config.FEEDBACK_USER_MAX_CHARS,
      batchMax: config.FEEDBACK_BATCH_MAX,
    },
    observer: createFeedbackMetrics(metrics, { min: config.FEEDBACK_SCORE_MIN, max: config.FEEDBACK_SCORE_MAX }),
    newId: randomUUID,
    now: () => new Date(),
  };
  /** One project's feedback: its store and events are bounded to the project. */
  const feedbackFor = (projectId: string) =>
    new FeedbackService({ ...shared, store: new PgFeedbackStore(pool, projectId), publisher: new KafkaFeedbackPublisher(producer, projectId) });
  const facts = generationFactsConsumer(kafka, feedbackFor, logger, metrics);
  lifecycle.onDrain('generation facts consumer', () => facts.stop());
  const applier = submittedFeedbackConsumer(
    kafka,
    feedbackFor,
    { batchSize: config.FEEDBACK_CONSUMER_BATCH_SIZE, partitionsConsumedConcurrently: config.FEEDBACK_CONSUMER_PARTITIONS_CONCURRENTLY },
    logger,
    metrics,
  );
  lifecycle.onDrain('feedback consumer', () => applier.stop());
  let factsRunning = false;
  return {
    feedbackFor,
    /** Creates the topics and connects the producer, in the background (readiness waits for it). */
    connect: () =>
      lifecycle.dependency('kafka', async () => {
        await ensureTopics(kafka, [...feedbackTopics]);
        await producer.connect();
      }),
    /** Once the tables exist and Kafka is up; safe to call again after a failure (each consumer runs once). */
    startConsumers: async () => {
      if (!factsRunning) await facts.start();
      factsRunning = true;
      await applier.start();
    },
  };
}
