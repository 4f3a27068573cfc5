// Observability against the running stack: traces cross the gateway, subgraphs, gRPC calls and
// Kafka consumers (with the GenAI attributes on model spans); every program's /metrics passes
// `promtool check metrics`; every dashboard panel's PromQL returns data from the real Prometheus.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, readCollectedSpans, waitFor, type CollectedSpan } from '@llmops/testkit';
import { grpcOptions, integrationContext } from './context';

const ctx = integrationContext();
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  graphql<T>(ctx.gatewayUrl, query, variables, headers);

/** The spans above `span` in its trace, innermost first. */
function ancestors(trace: CollectedSpan[], span: CollectedSpan): CollectedSpan[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const chain: CollectedSpan[] = [];
  for (let p = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) chain.push(p);
  return chain;
}

/** A prompt with a production alias whose version runs the embedded model for at most 8 tokens. */
async function registerGenerationPrompt(prefix: string): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
  const v = await gql(`mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`, {
    input: {
      promptName: name,
      messages: [{ role: 'USER', content: 'Say {{word}}.' }],
      modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 8 },
    },
  });
  expect(v.errors).toBeUndefined();
  const a = await gql(`mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 1) { alias } }`, { n: name });
  expect(a.errors).toBeUndefined();
  return name;
}

type Generated = { generate: { id: string; status: string; promptTokens: number; completionTokens: number } };
const GENERATE = `mutation($input: GenerateInput!) { generate(input: $input) { id status promptTokens completionTokens } }`;
const generate = (name: string, headers: Record<string, string> = {}) =>
  gql<Generated>(GENERATE, { input: { prompt: { name, alias: 'production' }, variables: { word: 'hello' }, parameters: { maxTokens: 8 } } }, headers);

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

test('one trace goes gateway -> generation -> prompt-registry RenderPrompt gRPC and the model, then through Kafka to the feedback consumer', async () => {
  const name = await registerGenerationPrompt('traced-gen');
  const traceId = randomBytes(16).toString('hex');
  const res = await generate(name, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
  expect(res.errors).toBeUndefined();
  const g = res.data!.generate;
  expect(g.status).toBe('SUCCEEDED');

  // The feedback service consumes generation.completed.v1, relayed from generation's outbox with
  // the trace context of the request that recorded it.
  const trace = await waitFor(
    () => {
      const spans = readCollectedSpans(ctx.spansFile).filter((s) => s.traceId === traceId);
      const consumer = spans.find((s) => s.service === 'feedback' && s.name === 'process generation.completed.v1');
      const render = spans.find((s) => s.service === 'prompt-registry' && s.kind === 2 && s.name.endsWith('PromptRegistryService/RenderPrompt'));
      const model = spans.find((s) => s.service === 'generation' && s.name === 'chat smollm2-135m-instruct');
      return consumer && render && model && ancestors(spans, consumer).some((s) => s.service === 'gateway') ? spans : undefined;
    },
    { timeoutMs: 120_000, what: `trace ${traceId} to link gateway -> generation -> RenderPrompt, the model span and the feedback consumer` },
  );
  const services = (chain: CollectedSpan[]) => [...new Set(chain.map((s) => s.service))];

  // RenderPrompt, served by the registry, called by generation, under the gateway.
  const render = trace.find((s) => s.service === 'prompt-registry' && s.kind === 2 && s.name.endsWith('PromptRegistryService/RenderPrompt'))!;
  expect(render.name).toBe('grpc.llmops.prompt_registry.v1.PromptRegistryService/RenderPrompt');
  const renderChain = ancestors(trace, render);
  expect(`${renderChain[0]!.service}:${renderChain[0]!.kind}`).toBe('generation:3'); // generation's gRPC client span
  expect(services(renderChain)).toEqual(['generation', 'gateway']);

  // The model call: a CLIENT span with the GenAI semantic-convention attributes.
  const model = trace.find((s) => s.service === 'generation' && s.name === 'chat smollm2-135m-instruct')!;
  expect(model.kind).toBe(3);
  expect(model.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'llama.cpp',
    'gen_ai.request.model': 'smollm2-135m-instruct',
    'gen_ai.response.model': 'smollm2-135m-instruct',
    'gen_ai.request.max_tokens': 8,
    'gen_ai.request.temperature': 0,
    'gen_ai.usage.input_tokens': g.promptTokens,
    'gen_ai.usage.output_tokens': g.completionTokens,
  });
  expect(g.completionTokens).toBeGreaterThan(0);
  expect(g.completionTokens).toBeLessThanOrEqual(8);
  expect(services(ancestors(trace, model))).toEqual(['generation', 'gateway']);

  // The Kafka consumer in another service, whose parent came through the message headers.
  const consumer = trace.find((s) => s.service === 'feedback' && s.name === 'process generation.completed.v1')!;
  expect(consumer.kind).toBe(5); // CONSUMER
  expect(consumer.attributes['messaging.destination.name']).toBe('generation.completed.v1');
  const consumerChain = ancestors(trace, consumer);
  expect(consumerChain[0]!.service).toBe('generation');
  expect(services(consumerChain)).toEqual(['generation', 'gateway']);
});

test('every program\'s /metrics passes promtool check metrics', async () => {
  const bin = process.env.LLMOPS_PROMTOOL_BIN || '/usr/bin/promtool';
  if (!existsSync(bin)) throw new Error(`${bin} not found: install the Debian package prometheus (apt-get install prometheus)`);
  expect(ctx.programs.map((p) => p.name).sort()).toEqual(['encoder', 'feedback', 'gateway', 'generation', 'prompt-registry', 'retrieval']);
  for (const program of ctx.programs) {
    const res = await fetch(`${program.httpUrl}/metrics`);
    expect({ program: program.name, status: res.status }).toEqual({ program: program.name, status: 200 });
    const text = await res.text();
    const check = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ program: program.name, problems: `${check.stdout}${check.stderr}`.trim(), status: check.status }).toEqual({ program: program.name, problems: '', status: 0 });
  }
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

type PromResult = { metric: Record<string, string>; value: [number, string] };
async function promQuery(expr: string): Promise<PromResult[]> {
  const res = await fetch(`${ctx.prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** One round of every kind of traffic the dashboards show; each round's counts differ from the last scrape's. */
async function dashboardTraffic(round: number, prompt: string, collection: string, registry: InstanceType<typeof pb.PromptRegistryServiceClient>) {
  for (let i = 0; i < 3; i++) {
    await callUnary(registry.renderPrompt.bind(registry), { ref: { promptName: prompt, selector: { $case: 'latest', value: true } }, variablesJson: '{"word":"y"}' }, { deadlineMs: 5_000 });
  }
  const generated = await generate(prompt);
  expect(generated.errors).toBeUndefined();
  const generationId = generated.data!.generate.id;
  // Feedback needs the generation's event to have reached the feedback service: NOT_FOUND until then.
  // Thumbs up every round (so that its rate moves), and one thumbs down.
  for (const feedback of [{ score: 4 }, { thumbs: 'UP' }, ...(round === 2 ? [{ thumbs: 'DOWN' }] : [])]) {
    await waitFor(
      async () => {
        const res = await gql(`mutation($input: FeedbackInput!) { submitFeedback(input: $input) { id } }`, { input: { generationId, ...feedback } });
        if (res.errors?.[0]?.extensions?.['code'] === 'NOT_FOUND') return false;
        expect(res.errors).toBeUndefined();
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `the feedback service to know generation ${generationId}` },
    );
  }
  const ingested = await gql<{ ingestDocuments: { id: string } }>(`mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id } }`, {
    c: collection,
    d: [{ id: `doc-${round}`, text: `Round ${round}: observability covers metrics, traces and dashboards.` }],
  });
  expect(ingested.errors).toBeUndefined();
  await waitFor(
    async () => (await gql<{ ingestionJob: { status: string } }>(`query($id: ID!) { ingestionJob(id: $id) { status } }`, { id: ingested.data!.ingestDocuments.id })).data?.ingestionJob.status === 'COMPLETED',
    { timeoutMs: 60_000, intervalMs: 500, what: `ingestion round ${round} to complete` },
  );
  for (const mode of ['KEYWORD', 'VECTOR', 'HYBRID']) {
    const res = await gql(`query($c: String!, $m: SearchMode!) { search(collection: $c, query: "dashboards", mode: $m, k: 3) { mode } }`, { c: collection, m: mode });
    expect(res.errors).toBeUndefined();
  }
}

test('every dashboard panel returns numbers from Prometheus scraping the running stack', async () => {
  // Traffic of every kind the dashboards show, in two rounds a few scrapes apart so that every
  // rate and quantile has two different samples: GraphQL, gRPC, generation, feedback, ingestion,
  // search, Kafka events, and one message that must be dead-lettered.
  const prompt = await registerGenerationPrompt('dash');
  const collection = `dash-${randomUUID().slice(0, 8)}`;
  expect((await gql(`mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: collection })).errors).toBeUndefined();
  const registryProgram = ctx.programs.find((p) => p.name === 'prompt-registry')!;
  const registry = new pb.PromptRegistryServiceClient(`127.0.0.1:${registryProgram.grpcPort}`, credentials.createInsecure(), grpcOptions());
  const kafka = new Kafka({ clientId: 'it-observability', brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
    // Valid JSON that is not a prompt.alias.moved.v1 event: the registry's consumer dead-letters it.
    await producer.send({ topic: 'prompt.alias.moved.v1', messages: [{ key: 'observability-it', value: JSON.stringify({ observabilityTest: true }) }] });
    await dashboardTraffic(1, prompt, collection, registry);
    // Feedback metrics move when the consumer applies the events: round 2 must come after
    // Prometheus has scraped round 1's, or the series would start with both and never move.
    await waitFor(
      async () => {
        const [score, thumbs] = await Promise.all([
          promQuery(`feedback_score_count{prompt="${prompt}"}`),
          promQuery(`feedback_thumbs_total{prompt="${prompt}",direction="up"}`),
        ]);
        return score.length > 0 && thumbs.length > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `Prometheus to scrape round 1's feedback metrics for ${prompt}` },
    );
    await sleep(3_000);
    await dashboardTraffic(2, prompt, collection, registry);
  } finally {
    registry.close();
    await producer.disconnect();
  }

  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThan(20);
  let missing: string[] = [];
  await waitFor(
    async () => {
      missing = [];
      for (const q of queries) {
        const result = await promQuery(q.expr.replaceAll('$__rate_interval', '2m').replaceAll('$service', '.*'));
        // Data is a number: a quantile of rates that did not move is NaN, which is no data.
        if (!result.some((r) => !Number.isNaN(Number(r.value[1])))) missing.push(`${q.dashboard} / ${q.panel}: ${q.expr}`);
      }
      return missing.length === 0;
    },
    { timeoutMs: 90_000, intervalMs: 2_000, what: 'every dashboard panel to return data' },
  ).catch(() => undefined);
  // The panels that never returned data, if any, with their queries.
  expect(missing).toEqual([]);

  // The dead letter was counted, under the topic it came from.
  const deadLetters = await waitFor(
    async () => {
      const result = await promQuery('sum by (service) (kafka_dead_letters_total{topic="prompt.alias.moved.v1"}) > 0');
      return result.length ? result.map((r) => r.metric['service']) : undefined;
    },
    { timeoutMs: 30_000, what: 'kafka_dead_letters_total to count the malformed message' },
  );
  expect(deadLetters).toContain('prompt-registry');
  // Lag is read from the broker for every consumer group, with bounded labels only.
  const lag = await promQuery('kafka_consumer_lag_messages');
  expect(lag.map((r) => r.metric['topic'])).toEqual(expect.arrayContaining(['prompt.version.created.v1', 'documents.ingest.v1', 'generation.completed.v1']));
  const allowed = ['__name__', 'group', 'topic', 'service', 'instance', 'job'];
  for (const r of lag) expect(Object.keys(r.metric).filter((k) => !allowed.includes(k))).toEqual([]);
  await gql(`mutation($n: String!) { deleteCollection(name: $n) }`, { n: collection });
});
