import { z } from 'zod';
import { commonEnv, loadConfig, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4004),
  ELASTICSEARCH_URL: z.url(),
  /** Prefix of the Elasticsearch indices that hold collections. */
  ELASTICSEARCH_INDEX_PREFIX: z.string().regex(/^[a-z0-9-]+$/).default('llmops-collection-'),
});

export type Config = z.infer<typeof configSchema>;
export const config: Config = loadConfig(configSchema);
