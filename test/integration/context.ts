// What the global setup started, as the integration tests see it.
import { readFileSync } from 'node:fs';
import type { ClientOptions } from '@grpc/grpc-js';
import type { Identity } from '@llmops/platform';
import { identityHeaders, signedClientOptions } from '@llmops/testkit';

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
  /** The stack's internal secret (sign identities for direct subgraph/gRPC calls) and the default project's admin key. */
  auth: { internalSecret: string; adminApiKey: string };
}

export const contextFileEnv = 'LLMOPS_IT_CONTEXT_FILE';

export function integrationContext(): IntegrationContext {
  const file = process.env[contextFileEnv];
  if (!file) throw new Error(`${contextFileEnv} is not set: run integration tests through jest's integration project`);
  return JSON.parse(readFileSync(file, 'utf8')) as IntegrationContext;
}

/** gRPC client options for direct calls to a service, as the default project's admin (see @llmops/testkit). */
export function grpcOptions(identity?: Identity): ClientOptions {
  return signedClientOptions(integrationContext().auth.internalSecret, identity);
}

/** Headers for a direct subgraph request, as the default project's admin unless told otherwise. */
export function subgraphHeaders(identity?: Identity): Record<string, string> {
  return identityHeaders(integrationContext().auth.internalSecret, identity);
}

export function programUrl(name: string): string {
  const p = integrationContext().programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program named ${name}`);
  return p.httpUrl;
}
