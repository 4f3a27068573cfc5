// The real embedded model for tests: settings over the fetched model cache, and node-llama-cpp as
// loaded by llama-environment.js.
import { parseConfig } from '@llmops/platform';
import { configSchema, type Config } from '../src/config-schema';
import type { LoadNodeLlamaCpp } from '../src/adapters/node-llama-cpp';
import { testModelDir } from './config';

export { testModelDir };

/** Generation settings as the service would parse them from `env` (required ones preset). */
export function generationSettings(env: Record<string, string> = {}): Config {
  return parseConfig(configSchema, {
    MODEL_DIR: testModelDir,
    DATABASE_URL: 'postgres://unused',
    KAFKA_BROKERS: 'unused:9092',
    PROMPT_REGISTRY_ADDRESS: 'unused:1',
    GENERATION_THREADS: '1',
    ...env,
  });
}

export const loadNodeLlamaCpp: LoadNodeLlamaCpp = () => {
  const load = (globalThis as { __loadNodeLlamaCpp?: LoadNodeLlamaCpp }).__loadNodeLlamaCpp;
  if (!load) throw new Error('run this test in ./services/generation/test/llama-environment.js');
  return load();
};

// Loading the model takes a few seconds, far longer on a machine busy with other test runs.
jest.setTimeout(60_000);
