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

export const topics = {
  'prompt.version.created.v1': {
    schema: promptVersionCreatedV1,
    key: 'promptId',
    description: 'A new immutable prompt version was registered.',
  },
  'prompt.alias.moved.v1': {
    schema: promptAliasMovedV1,
    key: 'promptId',
    description: 'An alias (production, staging, ...) of a prompt now points at another version.',
  },
} as const satisfies Record<string, TopicSpec>;

export interface TopicSpec {
  schema: z.ZodType;
  /** The value field used as message key (so all events of one entity keep their order). */
  key: string;
  description: string;
}

export type TopicName = keyof typeof topics;
export type TopicValue<T extends TopicName> = z.infer<(typeof topics)[T]['schema']>;

export const topicNames = Object.keys(topics) as TopicName[];

/** The dead-letter topic that receives messages of `topic` that could not be processed. */
export function deadLetterTopicOf(topic: string): string {
  return topic.replace(/\.v(\d+)$/, '.dlq.v$1');
}
