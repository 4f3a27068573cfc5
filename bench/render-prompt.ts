// gRPC RenderPrompt latency (p50/p99) from the cache and uncached, and throughput at 32
// concurrent callers. Starts the real stack (PostgreSQL, Kafka, ...) plus a second prompt-registry
// replica with its cache off (RENDER_CACHE_SIZE=0), and renders the same alias through both.
// Target: cached p50 <= 1 ms.   npm run bench:render -- [--calls 3000] [--seconds 5]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, signedClientOptions, startLocalPlatform, testInfraPorts, testPorts, waitFor } from '@llmops/testkit';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '3000' }, seconds: { type: 'string', default: '5' } } });
const calls = Number(args.calls);
const seconds = Number(args.seconds);
const repoRoot = join(__dirname, '..');
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const ms = (x: number) => Number(x.toFixed(3));

async function measure(client: pb.PromptRegistryServiceClient, request: pb.RenderPromptRequest) {
  const render = () => callUnary(client.renderPrompt.bind(client), request, { deadlineMs: 5_000 });
  for (let i = 0; i < 200; i++) await render(); // warm-up: connection, JIT, cache
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await render();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < until) {
        await render();
        done++;
      }
    }),
  );
  return { p50Ms: ms(quantile(latencies, 0.5)), p99Ms: ms(quantile(latencies, 0.99)), calls, throughputAt32PerSecond: Math.round(done / seconds) };
}

async function main(): Promise<void> {
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  const runDir = mkdtempSync(join(repoRoot, '.run', 'bench-render-'));
  console.log('[render-prompt] starting the stack');
  const platform = await startLocalPlatform({ repoRoot, runDir, infraPorts: testInfraPorts, ports: testPorts, env: { LOG_LEVEL: 'warn' } });
  const uncachedHttp = testPorts.httpBase + 90;
  const uncachedGrpc = testPorts.grpcBase + 90;
  const replica = spawn(process.execPath, [join(repoRoot, 'services/prompt-registry/dist/main.js')], {
    env: {
      PATH: process.env.PATH!,
      HTTP_PORT: String(uncachedHttp),
      GRPC_PORT: String(uncachedGrpc),
      DATABASE_URL: platform.infra.postgres.databaseUrl,
      KAFKA_BROKERS: platform.infra.kafka.brokers.join(','),
      ELASTICSEARCH_URL: platform.infra.elasticsearch.url,
      ENCODER_ADDRESS: `127.0.0.1:${platform.stack.program('encoder').spec.grpcPort}`,
      RENDER_CACHE_SIZE: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${uncachedHttp}/readyz`)).status === 200, { timeoutMs: 60_000, what: 'the uncached replica' });
    const gw = platform.stack.gatewayUrl;
    const name = 'bench/support-answer';
    await graphql(gw, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
    await graphql(
      gw,
      `mutation($n: String!) { createPromptVersion(input: { promptName: $n,
         messages: [{ role: SYSTEM, content: "You are a {{tone}} support agent." }, { role: USER, content: "{{#each articles}}[{{@index}}] {{this}}\\n{{/each}}Question: {{question}}" }],
         variables: [{ name: "tone", type: ENUM, enumValues: ["formal", "casual"], required: false, default: "formal" }, { name: "question" }, { name: "articles", type: JSON }] }) { number } }`,
      { n: name },
    );
    await graphql(gw, `mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 1) { alias } }`, { n: name });
    const request: pb.RenderPromptRequest = {
      ref: { promptName: name, selector: { $case: 'alias', value: 'production' } },
      variablesJson: JSON.stringify({ question: 'How do I rotate an API key?', articles: ['Keys are rotated from the settings page.', 'Old keys stay valid for 24 hours.'] }),
    };
    const registryGrpc = platform.stack.program('prompt-registry').spec.grpcPort!;
    const cachedClient = new pb.PromptRegistryServiceClient(`127.0.0.1:${registryGrpc}`, credentials.createInsecure(), signedClientOptions(platform.auth.internalSecret));
    const uncachedClient = new pb.PromptRegistryServiceClient(`127.0.0.1:${uncachedGrpc}`, credentials.createInsecure());
    console.log(`[render-prompt] cached: ${calls} sequential calls, then 32 callers for ${seconds} s`);
    const cached = await measure(cachedClient, request);
    console.log(`[render-prompt] uncached: ${calls} sequential calls, then 32 callers for ${seconds} s`);
    const uncached = await measure(uncachedClient, request);
    cachedClient.close();
    uncachedClient.close();
    const result = {
      benchmark: 'render-prompt',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length },
      transport: 'gRPC over loopback, one client channel, Node 20',
      cached,
      uncached,
      uncachedOverCachedP50: Number((uncached.p50Ms / cached.p50Ms).toFixed(2)),
      targets: { cachedP50Ms: 1 },
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    const file = join(repoRoot, 'bench', 'results', 'render-prompt.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `[render-prompt] cached   p50 ${cached.p50Ms} ms, p99 ${cached.p99Ms} ms, ${cached.throughputAt32PerSecond}/s at 32 callers (target p50 <= 1 ms)\n` +
        `[render-prompt] uncached p50 ${uncached.p50Ms} ms, p99 ${uncached.p99Ms} ms, ${uncached.throughputAt32PerSecond}/s at 32 callers\n` +
        `[render-prompt] wrote ${file}`,
    );
  } finally {
    replica.kill('SIGTERM');
    await platform.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`[render-prompt] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
