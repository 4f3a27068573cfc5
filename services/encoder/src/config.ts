import { z } from 'zod';
import { commonEnv, loadConfig, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4003),
  /** Folder filled by scripts/models/fetch.sh. */
  MODEL_DIR: z.string().min(1),
  /** Comma-separated catalog names of the models to serve; the first is the default. */
  ENCODER_MODELS: z.string().default('all-minilm-l6-v2-q'),
});

export type Config = z.infer<typeof configSchema>;
export const config: Config = loadConfig(configSchema);
