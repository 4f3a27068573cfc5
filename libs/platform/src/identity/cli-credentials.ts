import { z } from 'zod';
import { loadConfig } from '../config';

const cliEnv = z.object({ LLMOPS_API_KEY: z.string().trim().optional() });

/** What the platform's command-line tools send the gateway: `LLMOPS_API_KEY`, when set. */
export function credentialHeaders(): Record<string, string> {
  const key = loadConfig(cliEnv).LLMOPS_API_KEY;
  return key ? { authorization: `Bearer ${key}` } : {};
}
