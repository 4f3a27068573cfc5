// The platform's programs as the local stack and the integration tests run them: entry point,
// ports and the settings each one needs from the infrastructure.
import * as path from 'node:path';

export interface StackEndpoints {
  databaseUrl: string;
  /** Signs and verifies the internal identity header; the gateway bootstraps the admin key. */
  auth: { internalSecret: string; adminApiKey: string; gatewayAuthRequired: boolean };
  kafkaBrokers: string[];
  elasticsearchUrl: string;
  modelDir: string;
}

export interface ProgramSpec {
  name: string;
  entry: string;
  httpPort: number;
  grpcPort?: number;
  env(endpoints: StackEndpoints, ports: PortPlan): Record<string, string>;
}

export interface PortPlan {
  /** HTTP ports are httpBase + 0 (gateway) ... + 5; gRPC ports grpcBase + 1 ... */
  httpBase: number;
  grpcBase: number;
}

/** Shifts every test port, so that two test runs (e.g. two checkouts) can run side by side. */
export const testPortOffset = Number(process.env.LLMOPS_TEST_PORT_OFFSET ?? 0);

export const devPorts: PortPlan = { httpBase: 4000, grpcBase: 50050 };
export const testPorts: PortPlan = { httpBase: 24000 + testPortOffset, grpcBase: 25050 + testPortOffset };

export const subgraphPrograms = ['prompt-registry', 'generation', 'encoder', 'retrieval', 'feedback'] as const;

export function programSpecs(repoRoot: string, ports: PortPlan): ProgramSpec[] {
  const http = (i: number) => ports.httpBase + i;
  const grpc = (i: number) => ports.grpcBase + i;
  const entry = (dir: string) => path.join(repoRoot, dir, 'dist', 'main.js');
  const graphqlUrl = (i: number) => `http://127.0.0.1:${http(i)}/graphql`;
  return [
    {
      name: 'prompt-registry',
      entry: entry('services/prompt-registry'),
      httpPort: http(1),
      grpcPort: grpc(1),
      env: (e) => ({
        DATABASE_URL: e.databaseUrl,
        KAFKA_BROKERS: e.kafkaBrokers.join(','),
        GRPC_PORT: String(grpc(1)),
        ELASTICSEARCH_URL: e.elasticsearchUrl,
        ENCODER_ADDRESS: `127.0.0.1:${grpc(3)}`,
      }),
    },
    {
      name: 'generation',
      entry: entry('services/generation'),
      httpPort: http(2),
      grpcPort: grpc(2),
      env: (e) => ({
        MODEL_DIR: e.modelDir,
        DATABASE_URL: e.databaseUrl,
        KAFKA_BROKERS: e.kafkaBrokers.join(','),
        GRPC_PORT: String(grpc(2)),
        PROMPT_REGISTRY_ADDRESS: `127.0.0.1:${grpc(1)}`,
        RETRIEVAL_ADDRESS: `127.0.0.1:${grpc(4)}`,
        ENCODER_ADDRESS: `127.0.0.1:${grpc(3)}`,
      }),
    },
    {
      name: 'encoder',
      entry: entry('services/encoder'),
      httpPort: http(3),
      grpcPort: grpc(3),
      env: (e) => ({ MODEL_DIR: e.modelDir, GRPC_PORT: String(grpc(3)) }),
    },
    {
      name: 'retrieval',
      entry: entry('services/retrieval'),
      httpPort: http(4),
      grpcPort: grpc(4),
      env: (e) => ({
        ELASTICSEARCH_URL: e.elasticsearchUrl,
        KAFKA_BROKERS: e.kafkaBrokers.join(','),
        GRPC_PORT: String(grpc(4)),
        ENCODER_ADDRESS: `127.0.0.1:${grpc(3)}`,
        GENERATION_ADDRESS: `127.0.0.1:${grpc(2)}`,
      }),
    },
    {
      name: 'feedback',
      entry: entry('services/feedback'),
      httpPort: http(5),
      env: (e) => ({
        DATABASE_URL: e.databaseUrl,
        KAFKA_BROKERS: e.kafkaBrokers.join(','),
        GENERATION_ADDRESS: `127.0.0.1:${grpc(2)}`,
        ENCODER_ADDRESS: `127.0.0.1:${grpc(3)}`,
      }),
    },
    {
      name: 'gateway',
      entry: entry('gateway'),
      httpPort: http(0),
      env: (e) => ({
        DATABASE_URL: e.databaseUrl,
        AUTH_REQUIRED: String(e.auth.gatewayAuthRequired),
        AUTH_BOOTSTRAP_API_KEY: e.auth.adminApiKey,
        // One developer or one test run is one project, on one address: the per-project rate limit
        // and the limit of failed authentications per address (production guards, tested with
        // gateways of their own) would only throttle load tests, benchmarks and tests of bad keys.
        GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
        GATEWAY_AUTH_FAILURES_PER_MINUTE: '0',
        PROMPT_REGISTRY_URL: graphqlUrl(1),
        GENERATION_URL: graphqlUrl(2),
        ENCODER_URL: graphqlUrl(3),
        RETRIEVAL_URL: graphqlUrl(4),
        FEEDBACK_URL: graphqlUrl(5),
      }),
    },
  ];
}
