// The Kafka topic map: versioned topic name -> zod schema of its JSON value. Producers validate
// before sending and consumers validate on receipt, with the same schema. External consumers:
// see docs/events.md.
import { z } from 'zod';
import { eventEnvelope } from './envelope';

export const promptVersionCreatedV1 = eventEnvelope.extend({
  promptId: z.uuid(),
  promptName: z.string().min(1),
  versionId: z.uuid(),
  version: z.number().int().positive(),
  author: z.string().nullable(),
  commitMessage: z.string(),
});

export const promptAliasMovedV1 = eventEnvelope.extend({
  promptId: z.uuid(),
  promptName: z.string().min(1),
  alias: z.string().min(1),
  /** The version number the alias pointed at before; null when the alias is new. */
  fromVersion: z.number().int().positive().nullable(),
  toVersion: z.number().int().positive(),
  toVersionId: z.uuid(),
  movedBy: z.string().nullable(),
});

export const documentsIngestV1 = eventEnvelope.extend({
  /** The ingestion job (one ingestDocuments call) the document belongs to. */
  jobId: z.uuid(),
  collection: z.string().min(1),
  /** Unique within the collection: ingesting an id again replaces the document. */
  documentId: z.string().min(1),
  title: z.string(),
  text: z.string().min(1),
  /** Flat or nested JSON object; its fields can be filtered on in searches. */
  metadata: z.record(z.string(), z.unknown()),
});

export const generationCompletedV1 = eventEnvelope.extend({
  generationId: z.uuid(),
  /** SUCCEEDED, FAILED (errorCode says why) or CANCELLED (by the caller, or its deadline). */
  status: z.enum(['SUCCEEDED', 'FAILED', 'CANCELLED']),
  /** The exact prompt version rendered; null for inline templates and calls that failed before. */
  promptId: z.uuid().nullable(),
  promptName: z.string().nullable(),
  promptVersionId: z.uuid().nullable(),
  promptVersion: z.number().int().positive().nullable(),
  /** The model and backend that answered (null when the call failed before routing). */
  model: z.string().nullable(),
  backend: z.string().nullable(),
  finishReason: z.enum(['STOP', 'LENGTH', 'STOP_SEQUENCE', 'CANCELLED', 'ERROR']).nullable(),
  promptTokens: z.number().int().nonnegative().nullable(),
  completionTokens: z.number().int().nonnegative().nullable(),
  latencyMs: z.number().int().nonnegative(),
  timeToFirstTokenMs: z.number().int().nonnegative().nullable(),
  /** The error code of a failed call (BAD_USER_INPUT, NOT_FOUND, UNAVAILABLE, ...). */
  errorCode: z.string().nullable(),
  sessionId: z.uuid().nullable(),
  pipelineRunId: z.uuid().nullable(),
});

export const feedbackSubmittedV1 = eventEnvelope
  .extend({
    /** The idempotency key: a feedback id is applied once, whatever arrives after it. */
    feedbackId: z.uuid(),
    generationId: z.uuid(),
    /** The generation's prompt version, as the feedback service knew it (null: inline template). */
    promptVersionId: z.uuid().nullable(),
    promptName: z.string().nullable(),
    /** Exactly one of score (on the service's configured scale) and thumbs is set. */
    score: z.number().finite().nullable(),
    thumbs: z.enum(['UP', 'DOWN']).nullable(),
    comment: z.string().nullable(),
    labels: z.array(z.string().min(1)),
    user: z.string().nullable(),
  })
  .refine((v) => (v.score === null) !== (v.thumbs === null), { message: 'exactly one of score and thumbs must be set', path: ['score'] });

export const topics = {
  'prompt.version.created.v1': {
    schema: promptVersionCreatedV1,
    key: 'promptId',
    description: 'A new immutable prompt version was registered.',
    personalData: ['author', 'commitMessage'],
  },
  'prompt.alias.moved.v1': {
    schema: promptAliasMovedV1,
    key: 'promptId',
    description: 'An alias (production, staging, ...) of a prompt now points at another version.',
    personalData: ['movedBy'],
  },
  'documents.ingest.v1': {
    schema: documentsIngestV1,
    key: 'documentId',
    description: 'A document to embed and index into a retrieval collection (offline ingestion).',
  },
  'generation.completed.v1': {
    schema: generationCompletedV1,
    key: 'generationId',
    description: 'A model call finished (succeeded, failed or was cancelled) and was recorded.',
  },
  'feedback.submitted.v1': {
    schema: feedbackSubmittedV1,
    key: 'feedbackId',
    description: 'A user scored (or gave a thumb to) a recorded generation.',
    personalData: ['comment', 'labels', 'user'],
  },
} as const satisfies Record<string, TopicSpec>;

export interface TopicSpec {
  schema: z.ZodType;
  /** The value field used as message key (so all events of one entity keep their order). */
  key: string;
  description: string;
  /**
   * Free-text fields written by people (strings or string arrays): with REDACT_PII the producer
   * masks e-mail addresses, phone, card and IBAN numbers and IPv4 addresses in them.
   */
  personalData?: readonly string[];
}

export type TopicName = keyof typeof topics;
export type TopicValue<T extends TopicName> = z.infer<(typeof topics)[T]['schema']>;

export const topicNames = Object.keys(topics) as TopicName[];

/** The dead-letter topic that receives messages of `topic` that could not be processed. */
export function deadLetterTopicOf(topic: string): string {
  return topic.replace(/\.v(\d+)$/, '.dlq.v$1');
}
