import { z } from 'zod';
import { commaList, commonEnv, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4001),
  GRPC_PORT: port(50051),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  KAFKA_BROKERS: commaList,
  ELASTICSEARCH_URL: z.url(),
  /** Elasticsearch index holding prompt-version embeddings for similarPrompts. */
  PROMPT_INDEX: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('llmops-prompt-versions'),
  /** host:port of the encoder's gRPC API. */
  ENCODER_ADDRESS: z.string().regex(/^[^:]+:\d+$/, 'must be host:port'),
  /** Embedding model for prompt similarity; empty = the encoder's default. */
  SIMILARITY_MODEL: z.string().default(''),
  /** Resolved versions kept per replica for rendering by alias/latest/number; 0 turns the cache off. */
  RENDER_CACHE_SIZE: z.coerce.number().int().min(0).default(10_000),
  /** Aliases only admins may move (comma-separated). */
  PROTECTED_ALIASES: z
    .string()
    .default('production')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
});

export type Config = z.infer<typeof configSchema>;
