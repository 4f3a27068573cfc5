// Real models for tests: the fetched model cache (scripts/models/fetch.sh), encoder settings over
// it, and a skip for the optional extra models when they were not fetched.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '@llmops/platform';
import { configSchema } from '../src/config-schema';
import type { EncoderSettings } from '../src/build-encoder';
import { testModelDir, testScifactDir } from './config';

export const modelDir = testModelDir;

export const hasModel = (name: string) => existsSync(join(modelDir, name, 'model.onnx'));

/** Encoder settings as the service would parse them from `env` (MODEL_DIR preset). */
export function encoderSettings(env: Record<string, string> = {}): EncoderSettings {
  return parseConfig(configSchema, { MODEL_DIR: modelDir, ...env });
}

export const scifactDir = testScifactDir;
