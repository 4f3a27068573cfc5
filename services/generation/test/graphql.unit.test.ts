/** @jest-environment ./services/generation/test/llama-environment.js */
// The generation subgraph executed in-process (Apollo's executeOperation) with the real embedded
// model: generate, the PromptVersion.generations entity extension through _entities, pipelines
// and sessions, and typed errors with their extensions.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { ApolloServer } from '@apollo/server';
import { anonymousIdentity, createMetrics, createSubgraphServer, readSchemaFile } from '@llmops/platform';
import { buildBackends, type Backends } from '../src/build-backends';
import { GenerationService } from '../src/domain/generation-service';
import { PipelineService } from '../src/domain/pipeline-service';
import { SessionService } from '../src/domain/session-service';
import { TokenBudget } from '../src/domain/token-budget';
import { resolvers, type Context } from '../src/graphql/resolvers';
import { FakePromptRegistry, MemoryGenerationStore, MemoryPipelineStore, MemorySessionStore, MemoryTokenUsageStore } from './fakes';
import { generationSettings, loadNodeLlamaCpp } from './model-fixture';

let backends: Backends;
let server: ApolloServer<Context>;
let context: Context;

beforeAll(async () => {
  backends = await buildBackends(generationSettings({ GENERATION_SEQUENCES: '2', GENERATION_CONTEXT_SIZE: '512' }), { loadNodeLlamaCpp });
  const registry = new FakePromptRegistry([{ promptName: 'greet', number: 1, messages: [{ role: 'USER', content: 'Say hello to {{name}}.' }] }]);
  const sessions = new SessionService(new MemorySessionStore(), (t) => backends.embedded.countTextTokens(t), { windowMessages: 10, tokenBudget: 256 }, { maxWindowMessages: 50, maxTokenBudget: 512, maxMessageChars: 1000 }, randomUUID);
  const generations = new GenerationService({
    router: backends.router,
    registry,
    retriever: null,
    store: new MemoryGenerationStore(),
    memory: sessions,
    limits: { maxTokens: 128, defaultMaxTokens: 8, defaultTemperature: 0, timeoutMs: 60_000, maxCompletions: 8 },
    traceId: () => null,
    newId: randomUUID,
  });
  const pipelines = new PipelineService({ store: new MemoryPipelineStore(), generations, registry, router: backends.router, retriever: null, embedder: null, timeoutMs: 60_000, newId: randomUUID, traceId: () => null });
  context = { generations, pipelines, sessions, budget: new TokenBudget(new MemoryTokenUsageStore(), 0, 'default'), identity: anonymousIdentity, signal: new AbortController().signal };
  server = createSubgraphServer<Context>({
    typeDefs: readSchemaFile(join(__dirname, '..', 'src')),
    resolvers,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('generation-test'),
    production: false,
  });
  await server.start();
});
afterAll(async () => {
  await server.stop();
  await backends.close();
});

async function execute<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
  const res = await server.executeOperation<T>({ query, variables }, { contextValue: context });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return res.body.singleResult;
}

test('generate a registered prompt; the version lists it through the PromptVersion entity', async () => {
  const res = await execute<{ generate: { id: string; status: string; output: string; promptVersion: { id: string }; renderedPrompt: string; completionTokens: number } }>(
    `mutation { generate(input: { prompt: { name: "greet", version: 1 }, variables: { name: "Ada" }, parameters: { maxTokens: 6 } }) {
       id status output renderedPrompt completionTokens promptVersion { id } } }`,
  );
  expect(res.errors).toBeUndefined();
  const g = res.data!.generate;
  expect(g).toMatchObject({ status: 'SUCCEEDED', renderedPrompt: '[USER]\nSay hello to Ada.' });
  expect(g.completionTokens).toBeLessThanOrEqual(6);
  const entities = await execute<{ _entities: Array<{ generations: Array<{ id: string }> }> }>(
    `query($r: [_Any!]!) { _entities(representations: $r) { ... on PromptVersion { generations(first: 5) { id } } } }`,
    { r: [{ __typename: 'PromptVersion', id: g.promptVersion.id }] },
  );
  expect(entities.data!._entities[0]!.generations).toEqual([{ id: g.id }]);
});

test('typed errors carry their code, field and the recorded generation id', async () => {
  const res = await execute(`mutation { generate(input: { template: "Hello {{name}}" }) { id } }`);
  expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variables', missing: ['name'], generationId: expect.any(String) });
  const failed = await execute<{ generation: { status: string; error: { code: string } } }>(`query($id: ID!) { generation(id: $id) { status error { code } } }`, {
    id: res.errors![0]!.extensions!['generationId'],
  });
  expect(failed.data!.generation).toEqual({ status: 'FAILED', error: { code: 'BAD_USER_INPUT' } });
  const both = await execute(`mutation { generate(input: { template: "a", prompt: { name: "greet" } }) { id } }`);
  expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'prompt' });
  const missing = await execute(`{ generation(id: "${randomUUID()}") { id } }`);
  expect(missing.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
});

test('pipelines and sessions through GraphQL', async () => {
  const created = await execute<{ createPipeline: { name: string; nodes: Array<{ id: string; kind: string; prompt: { name: string; version: number } | null }> } }>(
    `mutation { createPipeline(input: { name: "greet/twice", inputs: ["who"],
        nodes: [{ id: "hello", kind: PROMPT, prompt: { name: "greet", version: 1 }, parameters: { maxTokens: 4 } },
                { id: "wrap", kind: TRANSFORM, template: "<{{text}}>" }],
        edges: [{ from: "input.who", to: "hello.name" }, { from: "hello.text", to: "wrap.text" }] }) {
      name nodes { id kind prompt { name version } } } }`,
  );
  expect(created.errors).toBeUndefined();
  expect(created.data!.createPipeline.nodes).toEqual([
    { id: 'hello', kind: 'PROMPT', prompt: { name: 'greet', version: 1 } },
    { id: 'wrap', kind: 'TRANSFORM', prompt: null },
  ]);
  const invalid = await execute(`mutation { createPipeline(input: { name: "bad", nodes: [{ id: "x", kind: RETRIEVE, k: 500 }] }) { id } }`);
  expect(invalid.errors?.[0]?.extensions?.['problems']).toEqual(['nodes.0.collection: is required for RETRIEVE nodes', 'nodes.0.k: must be from 1 to 100', 'nodes.0: missing input "x.query": no edge feeds it']);

  const session = await execute<{ createSession: { id: string } }>(`mutation { createSession(input: { windowMessages: 4 }) { id } }`);
  const run = await execute<{ runPipeline: { status: string; outputs: { wrap: string }; nodes: Array<{ nodeId: string; status: string; generation: { id: string } | null }>; pipeline: { name: string } } }>(
    `mutation($s: ID) { runPipeline(name: "greet/twice", inputs: { who: "Grace" }, sessionId: $s) {
       status outputs pipeline { name } nodes { nodeId status generation { id } } } }`,
    { s: session.data!.createSession.id },
  );
  expect(run.errors).toBeUndefined();
  expect(run.data!.runPipeline).toMatchObject({ status: 'SUCCEEDED', pipeline: { name: 'greet/twice' } });
  expect(run.data!.runPipeline.outputs.wrap).toMatch(/^<[\s\S]*>$/);
  expect(run.data!.runPipeline.nodes[0]!.generation).not.toBeNull();

  const appended = await execute<{ appendToSession: { messages: Array<{ role: string; tokens: number }>; window: Array<{ content: string }> } }>(
    `mutation($s: ID!) { appendToSession(sessionId: $s, messages: [{ role: USER, content: "hello there" }]) { messages { role tokens } window { content } } }`,
    { s: session.data!.createSession.id },
  );
  expect(appended.data!.appendToSession.messages).toEqual([{ role: 'USER', tokens: expect.any(Number) }]);
  expect(appended.data!.appendToSession.window).toEqual([{ content: 'hello there' }]);
});

test('generationModels lists the routed models', async () => {
  const res = await execute(`{ generationModels { name backend backendName contextLength isDefault } }`);
  expect(res.data).toEqual({ generationModels: [{ name: 'smollm2-135m-instruct', backend: 'EMBEDDED', backendName: 'embedded', contextLength: 512, isDefault: true }] });
});
