// The feedback service's consumers: generation.completed.v1 into the generation facts (one
// message at a time: generations are slow), feedback.submitted.v1 into the feedback tables in
// chunks of up to `batchSize` events per statement. Both are at least once and idempotent, and
// both store what they read under the event's project (its envelope's projectId).
import { EventBatchConsumer, EventConsumer, type Logger, type Metrics } from '@llmops/platform';
import type { Kafka } from 'kafkajs';
import type { FeedbackService } from '../domain/feedback/feedback-service';
import type { AttributedFeedback } from '../domain/feedback/model';

/** The feedback service of one project. */
export type FeedbackFor = (projectId: string) => FeedbackService;

export const feedbackTopics = ['generation.completed.v1', 'feedback.submitted.v1'] as const;

export function generationFactsConsumer(kafka: Kafka, feedbackFor: FeedbackFor, logger: Logger, metrics: Metrics) {
  return new EventConsumer(
    kafka,
    {
      groupId: 'feedback-generation-facts',
      topics: ['generation.completed.v1'],
      maxAttempts: 5,
      handle: (_topic, e) =>
        feedbackFor(e.projectId).recordGeneration({
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
  feedbackFor: FeedbackFor,
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
      handleBatch: async (_topic, events) => {
        const byProject = new Map<string, AttributedFeedback[]>();
        for (const { value: e } of events) {
          const entries = byProject.get(e.projectId) ?? [];
          byProject.set(e.projectId, entries);
          entries.push({
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
          });
        }
        for (const [projectId, entries] of byProject) await feedbackFor(projectId).apply(entries);
      },
    },
    logger,
    metrics,
  );
}
