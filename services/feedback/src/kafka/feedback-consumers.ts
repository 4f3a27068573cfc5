// The feedback service's consumers: generation.completed.v1 into the generation facts (one
// message at a time: generations are slow), feedback.submitted.v1 into the feedback tables in
// chunks of up to `batchSize` events per statement. Both are at least once and idempotent.
import { EventBatchConsumer, EventConsumer, type Logger, type Metrics } from '@llmops/platform';
import type { Kafka } from 'kafkajs';
import type { FeedbackService } from '../domain/feedback/feedback-service';

export const feedbackTopics = ['generation.completed.v1', 'feedback.submitted.v1'] as const;

export function generationFactsConsumer(kafka: Kafka, feedback: FeedbackService, logger: Logger, metrics: Metrics) {
  return new EventConsumer(
    kafka,
    {
      groupId: 'feedback-generation-facts',
      topics: ['generation.completed.v1'],
      maxAttempts: 5,
      handle: (_topic, e) =>
        feedback.recordGeneration({
          generationId: e.generationId,
          status: e.status,
          promptVersionId: e.promptVersionId,
          promptName: e.promptName,
          model: e.model,
          latencyMs: e.latencyMs,
          timeToFirstTokenMs: e.timeToFirstTokenMs,
          promptTokens: e.promptTokens,
          completionTokens: e.completionTokens,
          createdAt: new Date(e.occurredAt),
        }),
    },
    logger,
    metrics,
  );
}

export function submittedFeedbackConsumer(
  kafka: Kafka,
  feedback: FeedbackService,
  opts: { batchSize: number; partitionsConsumedConcurrently: number },
  logger: Logger,
  metrics: Metrics,
) {
  return new EventBatchConsumer(
    kafka,
    {
      groupId: 'feedback-submitted-applier',
      topics: ['feedback.submitted.v1'],
      maxBatchSize: opts.batchSize,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently,
      handleBatch: (_topic, events) =>
        feedback.apply(
          events.map(({ value: e }) => ({
            id: e.feedbackId,
            generationId: e.generationId,
            promptVersionId: e.promptVersionId,
            promptName: e.promptName,
            score: e.score,
            thumbs: e.thumbs,
            comment: e.comment,
            labels: e.labels,
            user: e.user,
            createdAt: new Date(e.occurredAt),
          })),
        ),
    },
    logger,
    metrics,
  );
}
