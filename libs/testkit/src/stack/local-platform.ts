// The whole platform on one machine: real Kafka, Elasticsearch, PostgreSQL and Prometheus, then
// the five subgraphs and the gateway. Used by `npm start` (dev ports) and the integration tests
// (test ports), so both run exactly the same thing.
import * as os from 'node:os';
import * as path from 'node:path';
import { startInfra, type InfraPorts, type RunningInfra } from '../infra';
import { cacheDir } from '../infra/paths';
import { startStack, type RunningStack, type StartStackOptions } from './start-stack';
import { generateStackAuth, type StackAuth } from './stack-auth';
import { testPortOffset, type PortPlan } from './programs';

export interface LocalPlatform {
  infra: RunningInfra;
  stack: RunningStack;
  auth: StackAuth;
  modelDir: string;
  stop(): Promise<void>;
}

/** The model cache filled by scripts/models/fetch.sh. */
export function modelDir(): string {
  return process.env.LLMOPS_MODEL_DIR || path.join(cacheDir(), 'models');
}

export const testInfraPorts: InfraPorts = {
  kafka: 29092 + testPortOffset,
  kafkaController: 29093 + testPortOffset,
  elasticsearch: 29200 + testPortOffset,
  // Not HTTP + 100 (the default): with offsets 100 apart, one run's transport port would be the
  // next run's HTTP port. 26317 + a multiple of 100 meets none of the other test ports.
  elasticsearchTransport: 26317 + testPortOffset,
  postgres: 25432 + testPortOffset,
  prometheus: 29090 + testPortOffset,
};

export async function startLocalPlatform(opts: {
  repoRoot: string;
  runDir: string;
  infraPorts?: InfraPorts;
  ports: PortPlan;
  env?: StartStackOptions['env'];
  /** Refuse GraphQL requests without an API key or token at the gateway (default: anonymous allowed). */
  gatewayAuthRequired?: boolean;
  onProgress?: (message: string) => void;
}): Promise<LocalPlatform> {
  const auth = generateStackAuth();
  const progress = opts.onProgress ?? (() => undefined);
  progress('starting Kafka, Elasticsearch, PostgreSQL and Prometheus');
  const infra = await startInfra({ rootDir: path.join(opts.runDir, 'infra'), ports: opts.infraPorts });
  progress(`infrastructure ready: kafka ${infra.kafka.brokers.join(',')}, ${infra.elasticsearch.url}, prometheus ${infra.prometheus.url}`);
  const models = modelDir();
  try {
    const stack = await startStack({
      repoRoot: opts.repoRoot,
      runDir: path.join(opts.runDir, 'services'),
      endpoints: {
        databaseUrl: infra.postgres.databaseUrl,
        kafkaBrokers: infra.kafka.brokers,
        elasticsearchUrl: infra.elasticsearch.url,
        modelDir: models,
        auth: { ...auth, gatewayAuthRequired: opts.gatewayAuthRequired ?? false },
      },
      ports: opts.ports,
      prometheus: infra.prometheus,
      env: opts.env,
      onProgress: progress,
    });
    return {
      infra,
      stack,
      auth,
      modelDir: models,
      async stop() {
        await stack.stop();
        await infra.stopAll();
      },
    };
  } catch (err) {
    await infra.stopAll().catch(() => undefined);
    throw err;
  }
}

export const defaultRunRoot = () => path.join(os.tmpdir(), 'llmops');
