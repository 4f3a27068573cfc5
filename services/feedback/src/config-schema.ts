import { z } from 'zod';
import { commaList, commonEnv, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4005),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  // Evaluation runs: outputs come from the generation service, embedding similarity from the encoder.
  GENERATION_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port'),
  ENCODER_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port'),
  EVALUATION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  EVALUATION_GENERATION_DEADLINE_MS: z.coerce.number().int().positive().default(120_000),
  /** Empty: the encoder's default model. */
  EVALUATION_EMBEDDING_MODEL: z.string().default(''),
  // Feedback: published to feedback.submitted.v1 and applied by the service's own consumer.
  KAFKA_BROKERS: commaList,
  FEEDBACK_SCORE_MIN: z.coerce.number().finite().default(1),
  FEEDBACK_SCORE_MAX: z.coerce.number().finite().default(5),
  FEEDBACK_COMMENT_MAX_CHARS: z.coerce.number().int().positive().default(4_000),
  FEEDBACK_MAX_LABELS: z.coerce.number().int().nonnegative().default(20),
  FEEDBACK_LABEL_MAX_CHARS: z.coerce.number().int().positive().default(64),
  FEEDBACK_USER_MAX_CHARS: z.coerce.number().int().positive().default(256),
  /** The most inputs one submitFeedbackBatch call takes. */
  FEEDBACK_BATCH_MAX: z.coerce.number().int().positive().max(10_000).default(1_000),
  /** Feedback events written per PostgreSQL statement by the consumer. */
  FEEDBACK_CONSUMER_BATCH_SIZE: z.coerce.number().int().positive().max(10_000).default(1_000),
  FEEDBACK_CONSUMER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(3),
  /** Deadline of each GetGeneration asked of the generation service for a generation not yet known here. */
  FEEDBACK_GENERATION_LOOKUP_DEADLINE_MS: z.coerce.number().int().positive().default(2_000),
}).refine((c) => c.FEEDBACK_SCORE_MIN < c.FEEDBACK_SCORE_MAX, {
  message: 'FEEDBACK_SCORE_MIN must be below FEEDBACK_SCORE_MAX',
  path: ['FEEDBACK_SCORE_MIN'],
});

export type Config = z.infer<typeof configSchema>;
