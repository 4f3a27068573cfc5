import { z } from 'zod';
import { commonEnv, loadConfig, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4002),
  /** Folder filled by scripts/models/fetch.sh. */
  MODEL_DIR: z.string().min(1),
  /** Catalog name of the embedded (in-process, CPU) model. */
  GENERATION_EMBEDDED_MODEL: z.enum(['smollm2-135m-instruct']).default('smollm2-135m-instruct'),
});

export type Config = z.infer<typeof configSchema>;
export const config: Config = loadConfig(configSchema);
