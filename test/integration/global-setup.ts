// Starts real Kafka, Elasticsearch, PostgreSQL and Prometheus and the whole stack once per run.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  controlUrlEnv,
  startControlServer,
  startLocalPlatform,
  startOtlpCollector,
  testInfraPorts,
  testPortOffset,
  testPorts,
  type LocalPlatform,
  type RunningCollector,
} from '@llmops/testkit';
import { contextFileEnv, type IntegrationContext } from './context';

declare global {
  var __llmopsPlatform: LocalPlatform | undefined;
  var __llmopsCollector: RunningCollector | undefined;
}

export default async function globalSetup(): Promise<void> {
  const repoRoot = join(__dirname, '..', '..');
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  // Keep only the newest run's data and logs: earlier runs' directories (of the same port offset,
  // so a run beside this one keeps its own) are removed here.
  const prefix = `it-${testPortOffset}-`;
  for (const old of readdirSync(join(repoRoot, '.run')).filter((d) => d.startsWith(prefix))) {
    rmSync(join(repoRoot, '.run', old), { recursive: true, force: true });
  }
  const runDir = mkdtempSync(join(repoRoot, '.run', prefix));
  const started = Date.now();
  // Every program exports its spans here, so tests can follow one trace across processes.
  const collector = await startOtlpCollector(join(runDir, 'spans.jsonl'));
  globalThis.__llmopsCollector = collector;
  const platform = await startLocalPlatform({
    repoRoot,
    runDir,
    infraPorts: testInfraPorts,
    ports: testPorts,
    // REDACT_PII is off by default; the tests run with it on (pii-redaction.integration.test.ts).
    env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200', REDACT_PII: 'true' },
    onProgress: (m) => process.stdout.write(`[integration] ${m}\n`),
  });
  globalThis.__llmopsPlatform = platform;
  const context: IntegrationContext = {
    gatewayUrl: platform.stack.gatewayUrl,
    databaseUrl: platform.infra.postgres.databaseUrl,
    kafkaBrokers: platform.infra.kafka.brokers,
    elasticsearchUrl: platform.infra.elasticsearch.url,
    prometheusUrl: platform.infra.prometheus.url,
    modelDir: platform.modelDir,
    spansFile: collector.file,
    auth: platform.auth,
    programs: platform.stack.programs.map((p) => ({
      name: p.spec.name,
      httpUrl: p.httpUrl,
      grpcPort: p.spec.grpcPort,
      logFile: p.logFile,
    })),
  };
  const file = join(runDir, 'context.json');
  writeFileSync(file, JSON.stringify(context, null, 2));
  process.env[contextFileEnv] = file;
  // Fault tests (faults.integration.test.ts) stop, kill and restart components through this.
  process.env[controlUrlEnv] = (await startControlServer(platform)).url;
  process.stdout.write(`[integration] platform ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${runDir})\n`);
}
