// Observability against the running stack: one trace crosses the gateway, a subgraph, Kafka and
// a gRPC call; every dashboard panel's PromQL returns data from the real Prometheus.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, readCollectedSpans, waitFor, type CollectedSpan } from '@llmops/testkit';
import { integrationContext } from './context';

const ctx = integrationContext();

test('one trace goes gateway -> prompt-registry -> Kafka consumer -> encoder gRPC', async () => {
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  const name = `traced-${randomUUID().slice(0, 8)}`;
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
  const created = await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Explain {{topic}}" }) { id } }`, { n: name }, {
    traceparent,
  });
  expect(created.errors).toBeUndefined();

  // The consumer span ends (and is exported) after the gRPC call made inside it: wait for the chain.
  const ancestors = (trace: CollectedSpan[], span: CollectedSpan) => {
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const chain: CollectedSpan[] = [];
    for (let p = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) chain.push(p);
    return chain;
  };
  const spans = await waitFor(
    () => {
      const trace = readCollectedSpans(ctx.spansFile).filter((s) => s.traceId === traceId);
      const encoderServer = trace.find((s) => s.service === 'encoder' && s.kind === 2);
      const chain = encoderServer ? ancestors(trace, encoderServer) : [];
      return chain.some((s) => s.name === 'process prompt.version.created.v1') && chain.some((s) => s.service === 'gateway') ? trace : undefined;
    },
    { timeoutMs: 120_000, what: `trace ${traceId} to link gateway -> prompt-registry -> Kafka consumer -> encoder` },
  );
  const encoderServer = spans.find((s) => s.service === 'encoder' && s.kind === 2)!; // SERVER
  expect(encoderServer.name).toContain('EncoderService/Embed');
  const chain = ancestors(spans, encoderServer).map((s) => `${s.service}:${s.kind}:${s.name}`);
  // Innermost first: the registry's gRPC client call, made while processing the Kafka event, whose
  // parent came through the message headers from the registry's request span, under the gateway.
  expect(chain[0]).toBe('prompt-registry:3:grpc.llmops.encoder.v1.EncoderService/Embed');
  expect(chain[1]).toBe('prompt-registry:5:process prompt.version.created.v1');
  expect(chain[2]).toBe('prompt-registry:2:POST');
  expect(chain.slice(3).every((c) => c.startsWith('gateway:'))).toBe(true);
  const consumer = spans.find((s) => s.spanId === ancestors(spans, encoderServer)[1]!.spanId)!;
  expect(consumer.attributes['messaging.destination.name']).toBe('prompt.version.created.v1');
});

function dashboardQueries(): Array<{ dashboard: string; panel: string; expr: string }> {
  const dir = join(__dirname, '..', '..', 'charts', 'llmops', 'files', 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const d = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
      return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ dashboard: f, panel: p.title, expr: t.expr })));
    });
}

test('every dashboard panel returns data from Prometheus scraping the running stack', async () => {
  // Traffic of every kind the dashboards show: GraphQL, gRPC and Kafka events.
  const name = `dash-${randomUUID().slice(0, 8)}`;
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Hi {{x}}" }) { id } }`, { n: name });
  const registry = ctx.programs.find((p) => p.name === 'prompt-registry')!;
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${registry.grpcPort}`, credentials.createInsecure());
  for (let i = 0; i < 5; i++) {
    await callUnary(client.renderPrompt.bind(client), { ref: { promptName: name, selector: { $case: 'latest', value: true } }, variablesJson: '{"x":"y"}' }, { deadlineMs: 5_000 });
  }
  client.close();

  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThan(5);
  let missing: string[] = [];
  await waitFor(
    async () => {
      missing = [];
      for (const q of queries) {
        const expr = q.expr.replaceAll('$__rate_interval', '2m').replaceAll('$service', '.*');
        const res = await fetch(`${ctx.prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
        const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
        if (body.status !== 'success') throw new Error(`${q.dashboard} / ${q.panel}: ${body.error}`);
        if (!body.data?.result.length) missing.push(`${q.dashboard} / ${q.panel}: ${q.expr}`);
      }
      return missing.length === 0;
    },
    { timeoutMs: 90_000, intervalMs: 2_000, what: 'every dashboard panel to return data' },
  ).catch(() => undefined);
  // The panels that never returned data, if any, with their queries.
  expect(missing).toEqual([]);
});
