/** @jest-environment ./services/generation/test/llama-environment.js */
// GeneratorService on a real gRPC server (port 0) with the real embedded model: Generate with n,
// GenerateStream's event order, cancellation and deadlines, typed error statuses with the
// recorded generation's id, and HyDE documents.
import { randomUUID } from 'node:crypto';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { GrpcServer, Lifecycle, createLogger, createMetrics, InternalAuth } from '@llmops/platform';
import { generationV1 as pb } from '@llmops/contracts';
import { buildBackends, type Backends } from '../src/build-backends';
import { GenerationService } from '../src/domain/generation-service';
import { generatorGrpc } from '../src/grpc/generator.grpc';
import { FakePromptRegistry, MemoryGenerationStore } from './fakes';
import { generationSettings, loadNodeLlamaCpp } from './model-fixture';

let backends: Backends;
let lifecycle: Lifecycle;
let client: pb.GeneratorServiceClient;
const store = new MemoryGenerationStore();

beforeAll(async () => {
  backends = await buildBackends(generationSettings({ GENERATION_SEQUENCES: '2', GENERATION_CONTEXT_SIZE: '512' }), { loadNodeLlamaCpp });
  const logger = createLogger('generation-test', 'silent');
  const metrics = createMetrics('generation-test');
  lifecycle = new Lifecycle(logger, 5_000);
  const generations = new GenerationService({
    router: backends.router,
    registry: new FakePromptRegistry([{ promptName: 'greet', number: 1, messages: [{ role: 'USER', content: 'Say hello to {{name}}.' }] }]),
    retriever: null,
    store,
    memory: null,
    limits: { maxTokens: 256, defaultMaxTokens: 16, defaultTemperature: 0, timeoutMs: 60_000, maxCompletions: 8 },
    traceId: () => null,
    newId: randomUUID,
  });
  const server = new GrpcServer({ logger, metrics, lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService('llmops.generation.v1.GeneratorService', pb.GeneratorServiceService, generatorGrpc(server, () => generations, { logger, metrics, shutdown: lifecycle.signal }));
  const port = await server.start();
  client = new pb.GeneratorServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await lifecycle.shutdown('tests done');
  await backends.close();
});

const deadline = (ms = 30_000) => ({ deadline: Date.now() + ms });

function generate(request: Partial<pb.GenerateRequest>, ms?: number): Promise<pb.GenerateResponse> {
  return new Promise((resolve, reject) =>
    client.generate(pb.GenerateRequest.fromPartial(request), new Metadata(), deadline(ms), (err, res) => (err ? reject(err) : resolve(res))),
  );
}

const inline = (template: string) => ({ $case: 'inline' as const, value: { template, messages: [] } });

test('Generate answers n recorded generations of an inline or registered prompt', async () => {
  const res = await generate({ prompt: inline('Name a fruit.'), n: 2, parameters: { maxTokens: 6, temperature: 0.8, seed: 1, stop: [] } });
  expect(res.generations).toHaveLength(2);
  for (const g of res.generations) {
    expect(g.status).toBe(pb.GenerationStatus.GENERATION_STATUS_SUCCEEDED);
    expect(g.output.length).toBeGreaterThan(0);
    expect(g.completionTokens).toBeGreaterThan(0);
    expect(g.completionTokens).toBeLessThanOrEqual(6);
    expect(g.model).toBe('smollm2-135m-instruct');
    expect(store.records.some((r) => r.id === g.id)).toBe(true);
  }
  const registered = await generate({
    prompt: { $case: 'registered', value: { promptName: 'greet', selector: { $case: 'version', value: 1 } } },
    variablesJson: JSON.stringify({ name: 'Ada' }),
    parameters: { maxTokens: 8, stop: [] },
  });
  expect(registered.generations[0]).toMatchObject({ promptName: 'greet', promptVersion: 1, renderedMessages: [{ role: 'USER', content: 'Say hello to Ada.' }] });
});

test('GenerateStream sends started, the text as it is generated, then the recorded generation', async () => {
  const events: pb.GenerateStreamResponse[] = [];
  await new Promise<void>((resolve, reject) => {
    const call = client.generateStream({ request: pb.GenerateRequest.fromPartial({ prompt: inline('What is the capital of France?'), parameters: { maxTokens: 24, stop: [] } }) }, new Metadata(), deadline());
    call.on('data', (e: pb.GenerateStreamResponse) => events.push(e));
    call.on('error', reject);
    call.on('end', resolve);
  });
  expect(events[0]!.event?.$case).toBe('started');
  const last = events.at(-1)!.event!;
  expect(last.$case).toBe('completed');
  const texts = events.slice(1, -1).map((e) => (e.event?.$case === 'text' ? e.event.value : ''));
  expect(texts.length).toBeGreaterThan(1);
  const completed = (last as { value: pb.Generation }).value;
  expect(texts.join('')).toBe(completed.output);
  expect(completed.timeToFirstTokenMs).toBeLessThanOrEqual(completed.latencyMs);
});

test('cancelling GenerateStream stops the generation; it is recorded as CANCELLED', async () => {
  let generationId = '';
  await new Promise<void>((resolve) => {
    const call = client.generateStream(
      { request: pb.GenerateRequest.fromPartial({ prompt: inline('Count from 1 to 300.'), parameters: { maxTokens: 250, stop: [] } }) },
      new Metadata(),
      deadline(),
    );
    call.on('data', (e: pb.GenerateStreamResponse) => {
      if (e.event?.$case === 'started') generationId = e.event.value.generationId;
      if (e.event?.$case === 'text') call.cancel();
    });
    call.on('error', (err: ServiceError) => {
      expect(err.code).toBe(status.CANCELLED);
      resolve();
    });
  });
  await waitFor(() => store.records.some((r) => r.id === generationId));
  expect(store.records.find((r) => r.id === generationId)).toMatchObject({ status: 'CANCELLED', finishReason: 'CANCELLED' });
});

test('a call past its deadline is cut off, not left running', async () => {
  const before = store.records.length;
  const err = (await generate({ prompt: inline('Write a long story.'), parameters: { maxTokens: 250, temperature: 0.8, seed: 2, stop: [] } }, 300).catch((e) => e)) as ServiceError;
  expect(err.code).toBe(status.DEADLINE_EXCEEDED);
  await waitFor(() => store.records.length > before);
  expect(store.records.at(-1)).toMatchObject({ status: 'CANCELLED' });
  expect(store.records.at(-1)!.latencyMs).toBeLessThan(3_000);
});

test('errors are typed statuses whose details name the problem and the recorded generation', async () => {
  const err = (await generate({ prompt: inline('Hello {{name}}') }).catch((e) => e)) as ServiceError;
  expect(err.code).toBe(status.INVALID_ARGUMENT);
  const details = JSON.parse(err.metadata.get('error-details-json')[0] as string) as Record<string, unknown>;
  expect(details).toMatchObject({ field: 'variables', missing: ['name'] });
  expect(store.records.find((r) => r.id === details['generationId'])).toMatchObject({ status: 'FAILED' });

  const notFound = (await generate({ prompt: inline('Hi'), model: 'nope' }).catch((e) => e)) as ServiceError;
  expect(notFound.code).toBe(status.NOT_FOUND);
  const noPrompt = (await generate({}).catch((e) => e)) as ServiceError;
  expect(noPrompt.code).toBe(status.INVALID_ARGUMENT);
});

test('text PostgreSQL cannot store is INVALID_ARGUMENT naming the field, before any model runs', async () => {
  const before = store.records.length;
  const detailsOf = (err: ServiceError) => JSON.parse(err.metadata.get('error-details-json')[0] as string) as Record<string, unknown>;
  const inVariable = (await generate({ prompt: inline('Hello {{name}}'), variablesJson: JSON.stringify({ name: 'A\u0000B' }) }).catch((e) => e)) as ServiceError;
  expect(inVariable.code).toBe(status.INVALID_ARGUMENT);
  expect(detailsOf(inVariable)).toMatchObject({ field: 'variables_json.name' });
  expect(inVariable.details).toContain('NUL');
  const loneSurrogate = (await generate({ prompt: inline('Hi'), variablesJson: '{"name": "\\udc00"}' }).catch((e) => e)) as ServiceError;
  expect(detailsOf(loneSurrogate)).toMatchObject({ field: 'variables_json.name' });
  const inTemplate = (await generate({ prompt: inline('Hi\u0000'), parameters: { maxTokens: 2, stop: [] } }).catch((e) => e)) as ServiceError;
  expect(detailsOf(inTemplate)).toMatchObject({ field: 'inline.template' });
  const inStream = await new Promise<ServiceError>((resolve) => {
    const call = client.generateStream({ request: pb.GenerateRequest.fromPartial({ prompt: inline('Hi'), parameters: { maxTokens: 2, stop: ['\u0000'] } }) }, new Metadata(), deadline());
    call.on('data', () => undefined);
    call.on('error', resolve);
  });
  expect(inStream.code).toBe(status.INVALID_ARGUMENT);
  expect(detailsOf(inStream)).toMatchObject({ field: 'parameters.stop.0' });
  const hyde = await new Promise<ServiceError | null>((resolve) =>
    client.generateHypotheticalDocuments({ query: 'why\u0000', n: 1, model: '', maxTokens: 4, temperature: 0 }, (err) => resolve(err)),
  );
  expect(hyde!.code).toBe(status.INVALID_ARGUMENT);
  expect(detailsOf(hyde!)).toMatchObject({ field: 'query' });
  expect(store.records).toHaveLength(before);
});

test('a seed whose per-completion seeds pass 2^31 - 1 is INVALID_ARGUMENT', async () => {
  const err = (await generate({ prompt: inline('Hi'), n: 3, parameters: { maxTokens: 2, seed: 2 ** 31 - 2, stop: [] } }).catch((e) => e)) as ServiceError;
  expect(err.code).toBe(status.INVALID_ARGUMENT);
  expect(JSON.parse(err.metadata.get('error-details-json')[0] as string)).toMatchObject({ field: 'parameters.seed' });
});

test('GenerateHypotheticalDocuments writes n passages for a query, each recorded', async () => {
  const res = await new Promise<pb.GenerateHypotheticalDocumentsResponse>((resolve, reject) =>
    client.generateHypotheticalDocuments({ query: 'What causes the seasons on Earth?', n: 3, model: '', maxTokens: 24, temperature: 0 }, new Metadata(), deadline(), (err, r) =>
      err ? reject(err) : resolve(r),
    ),
  );
  expect(res.documents).toHaveLength(3);
  expect(res.generationIds).toHaveLength(3);
  expect(res.model).toBe('smollm2-135m-instruct');
  for (const d of res.documents) expect(d.trim().length).toBeGreaterThan(0);
  for (const id of res.generationIds) expect(store.records.find((r) => r.id === id)?.renderedMessages?.[1]?.content).toBe('Question: What causes the seasons on Earth?');
  const blank = (await new Promise<ServiceError | null>((resolve) => client.generateHypotheticalDocuments({ query: ' ', n: 1, model: '', maxTokens: 0, temperature: 0 }, (err) => resolve(err)))) as ServiceError;
  expect(blank.code).toBe(status.INVALID_ARGUMENT);
});

test('GetGeneration answers a recorded generation by id, and NOT_FOUND for an unknown or malformed id', async () => {
  const { generations } = await generate({ prompt: inline('Name a colour.'), parameters: { maxTokens: 4, stop: [] } });
  const get = (id: string) =>
    new Promise<pb.GetGenerationResponse>((resolve, reject) => client.getGeneration({ id }, new Metadata(), deadline(), (err, r) => (err ? reject(err) : resolve(r))));
  const { generation } = await get(generations[0]!.id);
  expect(generation).toMatchObject({ id: generations[0]!.id, status: pb.GenerationStatus.GENERATION_STATUS_SUCCEEDED, model: 'smollm2-135m-instruct' });
  expect(generation!.createdAt).toBe(generations[0]!.createdAt);
  for (const id of [randomUUID(), 'not-a-uuid']) {
    const err = (await get(id).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.metadata.get('error-code')[0]).toBe('NOT_FOUND');
  }
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
