import { z } from 'zod';
import { commaList, commonEnv, loadConfig, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4001),
  GRPC_PORT: port(50051),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
  KAFKA_BROKERS: commaList,
  /** Resolved versions kept per replica for rendering by alias/latest/number; 0 turns the cache off. */
  RENDER_CACHE_SIZE: z.coerce.number().int().min(0).default(10_000),
});

export type Config = z.infer<typeof configSchema>;
export const config: Config = loadConfig(configSchema);
