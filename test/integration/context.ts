// What the global setup started, as the integration tests see it.
import { readFileSync } from 'node:fs';

export interface IntegrationContext {
  gatewayUrl: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  elasticsearchUrl: string;
  prometheusUrl: string;
  modelDir: string;
  /** JSONL of every span the programs exported (see @llmops/testkit otlp-collector). */
  spansFile: string;
  programs: Array<{ name: string; httpUrl: string; grpcPort?: number; logFile: string }>;
}

export const contextFileEnv = 'LLMOPS_IT_CONTEXT_FILE';

export function integrationContext(): IntegrationContext {
  const file = process.env[contextFileEnv];
  if (!file) throw new Error(`${contextFileEnv} is not set: run integration tests through jest's integration project`);
  return JSON.parse(readFileSync(file, 'utf8')) as IntegrationContext;
}

export function programUrl(name: string): string {
  const p = integrationContext().programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program named ${name}`);
  return p.httpUrl;
}
