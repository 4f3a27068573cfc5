// Where the encoder's tests find the fetched models and the SciFact data (the tests' only reader
// of process.env).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const testModelDir =
  process.env.LLMOPS_MODEL_DIR ?? join(process.env.LLMOPS_CACHE_DIR ?? join(homedir(), '.cache', 'llmops'), 'models');
export const testScifactDir = process.env.LLMOPS_SCIFACT_DIR ?? '/work/shared/data/beir-scifact';
