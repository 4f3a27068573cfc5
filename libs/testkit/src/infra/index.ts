/**
 * Real local infrastructure for integration tests and the local stack.
 * Fetch once with `bash scripts/infra/fetch.sh`; then:
 *
 *   const infra = await startInfra({ rootDir: fs.mkdtempSync(path.join(os.tmpdir(), 'it-')) });
 *   ... infra.kafka.brokers, infra.elasticsearch.url, infra.postgres.databaseUrl, infra.prometheus.url
 *   await infra.stopAll();
 */
import * as path from 'node:path';
import { startElasticsearch, type RunningElasticsearch } from './elasticsearch';
import { startKafka, type RunningKafka } from './kafka';
import { startPostgres, type RunningPostgres } from './postgres';
import { startPrometheus, type RunningPrometheus } from './prometheus';

export * from './elasticsearch';
export * from './kafka';
export * from './paths';
export * from './postgres';
export * from './prometheus';
export {
  assertPortFree,
  describeLogs,
  portAccepts,
  processTreeCpuSeconds,
  threadCpuSeconds,
  processTreeRssKb,
  spawnManaged,
  supervise,
  tailFile,
  waitFor,
  writeFileAtomic,
  type ExitStatus,
  type ManagedProcess,
  type ServerControls,
  type SpawnManagedOptions,
  type WaitForOptions,
} from './process';

export interface InfraPorts {
  kafka?: number;
  kafkaController?: number;
  elasticsearch?: number;
  /** Elasticsearch's transport port (default: its HTTP port + 100). */
  elasticsearchTransport?: number;
  postgres?: number;
  prometheus?: number;
}

/** Default ports; every server binds 127.0.0.1. */
export const DEFAULT_INFRA_PORTS: Required<Omit<InfraPorts, 'elasticsearchTransport'>> = {
  kafka: 19092,
  kafkaController: 19093,
  elasticsearch: 19200,
  postgres: 15432,
  prometheus: 19090,
};

export interface StartInfraOptions {
  /** Data dirs go to <rootDir>/{kafka,elasticsearch,postgres,prometheus}. */
  rootDir: string;
  ports?: InfraPorts;
}

export interface RunningInfra {
  kafka: RunningKafka;
  elasticsearch: RunningElasticsearch;
  postgres: RunningPostgres;
  prometheus: RunningPrometheus;
  /** Stops all four (concurrently); rejects with an AggregateError if any stop failed. */
  stopAll(): Promise<void>;
}

type Stoppable = { stop(): Promise<void> };

/**
 * Starts Kafka, Elasticsearch, PostgreSQL (or uses DATABASE_URL) and Prometheus concurrently.
 * If any of them fails to start, the ones that did start are stopped and the error is rethrown
 * (an AggregateError when more than one failed).
 */
export async function startInfra(opts: StartInfraOptions): Promise<RunningInfra> {
  const ports = { ...DEFAULT_INFRA_PORTS, ...(opts.ports ?? {}) };
  const dir = (name: string): string => path.join(path.resolve(opts.rootDir), name);
  const results = await Promise.allSettled([
    startKafka({ dataDir: dir('kafka'), port: ports.kafka, controllerPort: ports.kafkaController }),
    startElasticsearch({ dataDir: dir('elasticsearch'), port: ports.elasticsearch, transportPort: opts.ports?.elasticsearchTransport }),
    startPostgres({ dataDir: dir('postgres'), port: ports.postgres }),
    startPrometheus({ dataDir: dir('prometheus'), port: ports.prometheus }),
  ] as const);
  const [k, e, pg, pr] = results;
  const started: Stoppable[] = [];
  const errors: unknown[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') started.push(r.value);
    else errors.push(r.reason);
  }
  if (errors.length || k.status !== 'fulfilled' || e.status !== 'fulfilled' || pg.status !== 'fulfilled' || pr.status !== 'fulfilled') {
    await Promise.allSettled(started.map((s) => s.stop()));
    if (errors.length === 1) throw errors[0];
    throw new AggregateError(errors, `startInfra: ${errors.length} components failed to start`);
  }
  const all: Stoppable[] = [k.value, e.value, pg.value, pr.value];
  return {
    kafka: k.value,
    elasticsearch: e.value,
    postgres: pg.value,
    prometheus: pr.value,
    async stopAll(): Promise<void> {
      const stopped = await Promise.allSettled(all.map((s) => s.stop()));
      const failed = stopped.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason);
      if (failed.length) throw new AggregateError(failed, `stopAll: ${failed.length} components failed to stop`);
    },
  };
}
