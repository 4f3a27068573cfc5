import { loadConfig } from '@llmops/platform';
import { configSchema, type Config } from './config-schema';

export type { Config };
export const config: Config = loadConfig(configSchema);
