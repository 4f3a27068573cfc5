// Starts the local stack (real infrastructure + the five subgraphs + the gateway) on the dev
// ports, loads the demo data and prints where to send GraphQL. Ctrl-C stops everything.
import { join } from 'node:path';
import { devPorts, startLocalPlatform } from '@llmops/testkit';
import { loadDemoData } from './demo-data';

async function main(): Promise<void> {
  const repoRoot = join(__dirname, '..');
  const started = Date.now();
  const platform = await startLocalPlatform({
    repoRoot,
    runDir: join(repoRoot, '.run', 'stack'),
    ports: devPorts,
    onProgress: (m) => console.log(`[stack] ${m}`),
  });
  // The programs are child processes the event loop does not wait for: stay up until a signal,
  // or until the process that started this one is gone (`kill <pid of npm start>` ends only npm
  // and the shell it runs scripts in; this process would be left behind with every server).
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) void stop(`parent process ${parent} exited`);
  }, 1000);
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    console.log(`[stack] ${reason}: stopping`);
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await loadDemoData(platform.stack.gatewayUrl, (m) => console.log(`[demo-data] ${m}`));
  const lines = [
    '',
    `LLMOps Supergraph is up (${((Date.now() - started) / 1000).toFixed(1)} s).`,
    `  GraphQL:     ${platform.stack.gatewayUrl}`,
    `  Metrics:     ${platform.stack.programs.map((p) => `${p.spec.name} ${p.httpUrl}/metrics`).join('\n               ')}`,
    `  Prometheus:  ${platform.infra.prometheus.url}`,
    `  Kafka:       ${platform.infra.kafka.brokers.join(',')}`,
    `  Elasticsearch: ${platform.infra.elasticsearch.url}`,
    `  PostgreSQL:  ${platform.infra.postgres.databaseUrl}`,
    `  Logs:        ${join(repoRoot, '.run', 'stack')}`,
    `  Admin key:   ${platform.auth.adminApiKey}  (project "default"; send "Authorization: Bearer <key>")`,
    '  Development mode: a request without credentials runs as the default project\'s admin.',
    '',
    `Try: curl -s ${platform.stack.gatewayUrl} -H 'content-type: application/json' \\`,
    `       -d '{"query":"{ prompts(first: 5) { edges { node { name version { number template } } } } }"}'`,
    '',
    'Ctrl-C stops the stack.',
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`[stack] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
