// Where the generation tests find the fetched models (the tests' only reader of process.env).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const testModelDir =
  process.env.LLMOPS_MODEL_DIR ?? join(process.env.LLMOPS_CACHE_DIR ?? join(homedir(), '.cache', 'llmops'), 'models');
