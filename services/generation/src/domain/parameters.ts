// Resolves the parameters of a call: the caller's, then the prompt version's, then the service's
// defaults; every value is checked against the limits and named by its field when out of range.
import { InputError } from '@llmops/platform';
import type { GenerationParameters, ParameterOverrides } from './model';
import type { ModelParameterDefaults } from './ports';

export interface ParameterLimits {
  /** Largest max tokens a caller may ask for. */
  maxTokens: number;
  defaultMaxTokens: number;
  defaultTemperature: number;
}

export const maxStopSequences = 4;
/** The largest seed: GraphQL reads parameters back as an Int (32-bit signed). */
export const maxSeed = 2 ** 31 - 1;
export const maxStopSequenceChars = 200;

export function resolveParameters(request: ParameterOverrides, version: ModelParameterDefaults, limits: ParameterLimits): GenerationParameters {
  const maxTokens = request.maxTokens ?? version.maxTokens ?? limits.defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > limits.maxTokens) {
    throw new InputError(`parameters.maxTokens: must be an integer from 1 to ${limits.maxTokens}, got ${maxTokens}`, 'parameters.maxTokens', {
      limit: limits.maxTokens,
    });
  }
  const temperature = request.temperature ?? version.temperature ?? limits.defaultTemperature;
  if (!(temperature >= 0 && temperature <= 2)) {
    throw new InputError(`parameters.temperature: must be from 0 to 2, got ${temperature}`, 'parameters.temperature');
  }
  const topP = request.topP ?? version.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new InputError(`parameters.topP: must be in (0, 1], got ${topP}`, 'parameters.topP');
  const seed = request.seed ?? version.seed ?? null;
  if (seed !== null && (!Number.isSafeInteger(seed) || seed < 0 || seed > maxSeed)) {
    throw new InputError(`parameters.seed: must be an integer from 0 to ${maxSeed}, got ${seed}`, 'parameters.seed', { limit: maxSeed });
  }
  const stop = request.stop ?? version.stop ?? [];
  if (stop.length > maxStopSequences) {
    throw new InputError(`parameters.stop: at most ${maxStopSequences} stop sequences, got ${stop.length}`, 'parameters.stop', { limit: maxStopSequences });
  }
  stop.forEach((s, i) => {
    if (s.length === 0 || s.length > maxStopSequenceChars) {
      throw new InputError(`parameters.stop.${i}: must be 1 to ${maxStopSequenceChars} characters`, `parameters.stop.${i}`);
    }
  });
  return { maxTokens, temperature, topP, seed, stop };
}
