// The part of the platform the retrieval benchmarks need, started fresh under .run/: Kafka and
// Elasticsearch (1 GiB heap), the encoder and the retrieval service (from dist/, so build first).
// Ports follow the integration tests' plan (LLMOPS_TEST_PORT_OFFSET shifts them), so do not run a
// benchmark and the integration tests on the same offset at once.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { defaultProjectId } from '@llmops/platform';
import { graphql, modelDir, processTreeCpuSeconds, spawnManaged, startElasticsearch, startKafka, testInfraPorts, testPorts, threadCpuSeconds, waitFor, type ManagedProcess } from '@llmops/testkit';
import { CollectionIndexNames } from '../services/retrieval/src/adapters/collection-names.es';
import { EsDocuments } from '../services/retrieval/src/adapters/documents.es';
import { configSchema as retrievalConfig } from '../services/retrieval/src/config-schema';

export const repoRoot = join(__dirname, '..');

export interface SearchStack {
  elasticsearchUrl: string;
  kafkaBrokers: string[];
  encoderAddress: string;
  /** The encoder's HTTP base URL (/metrics). */
  encoderHttpUrl: string;
  retrievalUrl: string;
  retrievalGrpc: string;
  /** Which Elasticsearch, on which Java, with what heap (results record it: the JDK decides whether Lucene's vector code uses SIMD). */
  elasticsearchRuntime: string;
  /** CPU seconds used so far by each component (its whole process tree), from /proc. */
  cpuSeconds(): Record<'elasticsearch' | 'kafka' | 'encoder' | 'retrieval', number>;
  /** CPU seconds used so far by Elasticsearch's JIT compiler threads (part of its cpuSeconds). */
  elasticsearchJitSeconds(): number;
  stop(): Promise<void>;
}

/** `dataDir`: reuse the data of an earlier run (e.g. an index already loaded); default a fresh dir. */
export async function startSearchStack(
  name: string,
  env: { encoder?: Record<string, string>; retrieval?: Record<string, string> } = {},
  dataDir?: string,
): Promise<SearchStack> {
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  const runDir = dataDir ?? mkdtempSync(join(repoRoot, '.run', `bench-${name}-`));
  const log = (m: string) => process.stderr.write(`[${name}] ${m}\n`);
  log(`starting Kafka and Elasticsearch (${runDir})`);
  const [es, kafka] = await Promise.all([
    startElasticsearch({ dataDir: join(runDir, 'elasticsearch'), port: testInfraPorts.elasticsearch, heapMb: 1024 }),
    startKafka({ dataDir: join(runDir, 'kafka'), port: testInfraPorts.kafka, controllerPort: testInfraPorts.kafkaController }),
  ]);
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await Promise.allSettled([es.stop(), kafka.stop()]);
  };
  try {
    const encoderGrpc = testPorts.grpcBase + 3;
    const retrievalGrpc = testPorts.grpcBase + 4;
    const retrievalHttp = testPorts.httpBase + 4;
    const program = async (service: string, httpPort: number, programEnv: Record<string, string>) => {
      const p = await spawnManaged({
        name: service,
        command: process.execPath,
        args: ['--enable-source-maps', join(repoRoot, 'services', service, 'dist', 'main.js')],
        logFile: join(runDir, `${service}.log`),
        pidDir: runDir,
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', HTTP_PORT: String(httpPort), ...programEnv },
      });
      processes.push(p);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => null))?.status === 200, {
        timeoutMs: 120_000,
        what: `${service} to be ready`,
        process: p,
      });
      log(`${service} ready`);
    };
    await program('encoder', testPorts.httpBase + 3, { MODEL_DIR: modelDir(), GRPC_PORT: String(encoderGrpc), ...env.encoder });
    await program('retrieval', retrievalHttp, {
      ELASTICSEARCH_URL: es.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      ENCODER_ADDRESS: `127.0.0.1:${encoderGrpc}`,
      GRPC_PORT: String(retrievalGrpc),
      ...env.retrieval,
    });
    const jvm = (await (await fetch(`${es.url}/_nodes/_local/jvm`)).json()) as { nodes: Record<string, { version: string; jvm: { version: string; mem: { heap_max_in_bytes: number } } }> };
    const node = Object.values(jvm.nodes)[0]!;
    return {
      elasticsearchRuntime: `${node.version} on Java ${node.jvm.version}, ${Math.round(node.jvm.mem.heap_max_in_bytes / 2 ** 20)} MiB heap`,
      elasticsearchUrl: es.url,
      kafkaBrokers: kafka.brokers,
      encoderAddress: `127.0.0.1:${encoderGrpc}`,
      encoderHttpUrl: `http://127.0.0.1:${testPorts.httpBase + 3}`,
      retrievalUrl: `http://127.0.0.1:${retrievalHttp}/graphql`,
      retrievalGrpc: `127.0.0.1:${retrievalGrpc}`,
      cpuSeconds: () => ({
        elasticsearch: processTreeCpuSeconds(es.pid),
        kafka: processTreeCpuSeconds(kafka.pid),
        encoder: processTreeCpuSeconds(processes[0]!.pid),
        retrieval: processTreeCpuSeconds(processes[1]!.pid),
      }),
      elasticsearchJitSeconds: () => threadCpuSeconds(es.pid, /^C[12] CompilerThre/),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The retrieval service's kNN settings as it runs by default (KNN_MIN_CANDIDATES, KNN_CANDIDATES_PER_HIT). */
export const knnDefaults = {
  minCandidates: retrievalConfig.shape.KNN_MIN_CANDIDATES.parse(undefined),
  candidatesPerHit: retrievalConfig.shape.KNN_CANDIDATES_PER_HIT.parse(undefined),
};

/**
 * A collection of the default project (the benchmarks' stack runs without credentials) and the
 * retrieval service's own Elasticsearch adapter over its index, to write and search it directly.
 */
export function benchCollection(stack: SearchStack, name: string) {
  const es = new Client({ node: stack.elasticsearchUrl, requestTimeout: 600_000 });
  const ref = { projectId: defaultProjectId, name };
  const index = new CollectionIndexNames(retrievalConfig.shape.ELASTICSEARCH_INDEX_PREFIX.parse(undefined)).indexOf(ref);
  return {
    es,
    ref,
    index,
    documents: new EsDocuments(es, () => index, knnDefaults),
    /** Creates the collection through the service's GraphQL (bound to its default model). */
    async create(): Promise<void> {
      const created = await graphql(stack.retrievalUrl, `mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: name });
      if (created.errors) throw new Error(JSON.stringify(created.errors));
    },
  };
}

export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
