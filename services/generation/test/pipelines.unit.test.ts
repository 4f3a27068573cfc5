/** @jest-environment ./services/generation/test/llama-environment.js */
// Pipelines and sessions with the real embedded model: validation at creation (every problem at
// once), DAG runs with concurrent branches and per-node records, failures that skip dependents,
// and conversation memory read and appended by generations and prompt nodes.
import { randomUUID } from 'node:crypto';
import { DomainError } from '@llmops/platform';
import { buildBackends, type Backends } from '../src/build-backends';
import { GenerationService } from '../src/domain/generation-service';
import type { NewPipeline, PipelineNode } from '../src/domain/pipeline-model';
import { PipelineService } from '../src/domain/pipeline-service';
import { SessionService } from '../src/domain/session-service';
import { windowOf } from '../src/domain/memory';
import { FakePromptRegistry, FakeRetriever, MemoryGenerationStore, MemoryPipelineStore, MemorySessionStore } from './fakes';
import { generationSettings, loadNodeLlamaCpp } from './model-fixture';

let backends: Backends;
let generations: GenerationService;
let pipelines: PipelineService;
let sessions: SessionService;
const generationStore = new MemoryGenerationStore();
const pipelineStore = new MemoryPipelineStore();
const registry = new FakePromptRegistry([
  { promptName: 'qa/answer', number: 1, messages: [{ role: 'USER', content: 'Context: {{context}}\nQuestion: {{question}}\nAnswer briefly.' }] },
  { promptName: 'qa/keywords', number: 1, messages: [{ role: 'USER', content: 'Give three keywords for: {{question}}' }] },
  { promptName: 'chat/reply', number: 1, messages: [{ role: 'USER', content: '{{message}}' }] },
]);
const retriever = new FakeRetriever([
  { id: 'd1', title: 'Tides', text: 'Tides are caused by the Moon.', score: 3 },
  { id: 'd2', title: 'Sun', text: 'The Sun also pulls on the oceans.', score: 2 },
]);
const signal = () => new AbortController().signal;

beforeAll(async () => {
  backends = await buildBackends(generationSettings({ GENERATION_SEQUENCES: '2', GENERATION_CONTEXT_SIZE: '1024' }), { loadNodeLlamaCpp });
  sessions = new SessionService(
    new MemorySessionStore(),
    (t) => backends.embedded.countTextTokens(t),
    { windowMessages: 20, tokenBudget: 512 },
    { maxWindowMessages: 200, maxTokenBudget: 1024, maxMessageChars: 10_000 },
    randomUUID,
  );
  generations = new GenerationService({
    router: backends.router,
    registry,
    retriever,
    store: generationStore,
    memory: sessions,
    limits: { maxTokens: 256, defaultMaxTokens: 12, defaultTemperature: 0, timeoutMs: 60_000, maxCompletions: 8 },
    traceId: () => null,
    newId: randomUUID,
  });
  pipelines = new PipelineService(pipelineDeps());
});

const pipelineDeps = (): ConstructorParameters<typeof PipelineService>[0] => ({
  store: pipelineStore,
  generations,
  registry,
  router: backends.router,
  retriever,
  embedder: null,
  timeoutMs: 120_000,
  newId: randomUUID,
  traceId: () => 'trace-p',
});
afterAll(() => backends.close());

const prompt = (id: string, name: string, extra: Partial<Extract<PipelineNode, { kind: 'PROMPT' }>> = {}): PipelineNode => ({
  id,
  kind: 'PROMPT',
  prompt: { name, selector: { kind: 'latest' } },
  model: null,
  parameters: {},
  memory: 'NONE',
  ...extra,
});

const rag = (name: string): NewPipeline => ({
  name,
  description: 'retrieve, format, answer; keywords in parallel',
  definition: {
    inputs: ['question'],
    nodes: [
      { id: 'search', kind: 'RETRIEVE', collection: 'science', k: 2 },
      { id: 'format', kind: 'TRANSFORM', template: 'Documents:\n{{docs}}' },
      prompt('answer', 'qa/answer'),
      prompt('keywords', 'qa/keywords'),
      { id: 'result', kind: 'MERGE' },
    ],
    edges: [
      { from: 'input.question', to: 'search.query' },
      { from: 'search.documents', to: 'format.docs' },
      { from: 'format.text', to: 'answer.context' },
      { from: 'input.question', to: 'answer.question' },
      { from: 'input.question', to: 'keywords.question' },
      { from: 'answer.text', to: 'result.answer' },
      { from: 'keywords.text', to: 'result.keywords' },
    ],
    outputs: [
      { name: 'answer', from: 'answer.text' },
      { name: 'all', from: 'result.value' },
    ],
  },
});

async function problemsOf(p: NewPipeline): Promise<string[]> {
  const err = await pipelines.create(p, signal()).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe('BAD_USER_INPUT');
  return (err as DomainError).details['problems'] as string[];
}

test('creation rejects cycles, missing inputs, unknown prompts, ports and models, listing every problem', async () => {
  const problems = await problemsOf({
    name: 'broken',
    description: null,
    definition: {
      inputs: ['question'],
      nodes: [
        prompt('a', 'qa/answer'),
        prompt('b', 'qa/keywords'),
        prompt('ghost', 'no/such-prompt'),
        prompt('fast', 'qa/keywords', { model: 'gpt-17' }),
        { id: 'b', kind: 'MERGE' },
        { id: 'fmt', kind: 'TRANSFORM', template: '{{x}} and {{y}}' },
      ],
      edges: [
        { from: 'b.text', to: 'a.context' },
        { from: 'a.text', to: 'b.question' },
        { from: 'input.nope', to: 'fmt.x' },
        { from: 'a.vectors', to: 'fmt.y' },
        { from: 'input.question', to: 'fast.question' },
        { from: 'input.question', to: 'fast.question' },
        { from: 'input.question', to: 'a.colour' },
      ],
      outputs: [],
    },
  });
  const text = problems.join('\n');
  expect(text).toContain('nodes.4.id: duplicate node id "b"');
  expect(text).toContain('nodes.2.prompt: unknown prompt');
  expect(text).toContain('nodes.3.model: unknown model: gpt-17');
  expect(text).toContain('missing input "a.question"');
  expect(text).toContain('"a" takes no input "colour"');
  expect(text).toContain('edges.2.from: unknown pipeline input "nope"');
  expect(text).toContain('edges.3.from: PROMPT node "a" has no output "vectors"');
  expect(text).toContain('edges.5.to: input "fast.question" is fed twice');
  expect(text).toContain('edges: cycle through node(s) a, b');
  expect(pipelineStore.pipelines).toHaveLength(0);
});

test('a valid pipeline is created once; its name is then taken', async () => {
  const p = await pipelines.create(rag('qa/rag'), signal());
  expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
  await expect(pipelines.create(rag('qa/rag'), signal())).rejects.toMatchObject({ code: 'CONFLICT' });
});

test('a run executes the DAG, independent branches concurrently, and records every node', async () => {
  const run = await pipelines.run('qa/rag', { question: 'What causes tides?' }, null, signal());
  expect(run.status).toBe('SUCCEEDED');
  const node = (id: string) => run.nodes.find((n) => n.nodeId === id)!;
  expect(node('search')).toMatchObject({ status: 'SUCCEEDED', input: { query: 'What causes tides?' }, output: { documentIds: ['d1', 'd2'] } });
  expect(node('format').output).toEqual({ text: 'Documents:\nTides are caused by the Moon.\nThe Sun also pulls on the oceans.' });
  expect(node('answer').input).toEqual({ context: node('format').output!['text'], question: 'What causes tides?' });
  for (const id of ['answer', 'keywords']) {
    const n = node(id);
    expect(n.status).toBe('SUCCEEDED');
    expect(typeof n.output!['text']).toBe('string');
    expect(generationStore.records.find((g) => g.id === n.generationId)).toMatchObject({ pipelineRunId: run.id, status: 'SUCCEEDED' });
    expect(n.latencyMs).toBeGreaterThanOrEqual(0);
  }
  // keywords depends only on the input: it starts before the retrieve -> format -> answer branch ends.
  expect(node('keywords').startedAt!.getTime()).toBeLessThan(node('answer').finishedAt!.getTime());
  expect(node('answer').startedAt!.getTime()).toBeLessThan(node('keywords').finishedAt!.getTime());
  expect(run.outputs).toEqual({ answer: node('answer').output!['text'], all: { answer: node('answer').output!['text'], keywords: node('keywords').output!['text'] } });
  expect(pipelineStore.runs.at(-1)).toMatchObject({ id: run.id, status: 'SUCCEEDED', traceId: 'trace-p' });
  await expect(pipelines.run('qa/rag', {}, null, signal())).rejects.toMatchObject({ details: { field: 'inputs', missing: ['question'] } });
});

test('a failed node fails the run and skips what depends on it; the other branch still runs; the run is recorded', async () => {
  const noRetrieval = new PipelineService({ ...pipelineDeps(), retriever: null });
  const run = await noRetrieval.run('qa/rag', { question: 'Why is the sea salty?' }, null, signal());
  expect(run.status).toBe('FAILED');
  const status = Object.fromEntries(run.nodes.map((n) => [n.nodeId, n.status]));
  expect(status).toEqual({ search: 'FAILED', format: 'SKIPPED', answer: 'SKIPPED', keywords: 'SUCCEEDED', result: 'SKIPPED' });
  expect(run.nodes[0]!.error).toMatchObject({ code: 'UNAVAILABLE', details: { dependency: 'retrieval' } });
  expect(run.error!.message).toContain('node search failed');
  expect(run.outputs).toBeNull();
  expect(pipelineStore.runs.at(-1)!.id).toBe(run.id);
});

test('sessions: generations read the windowed history and append their exchange', async () => {
  const session = await sessions.create({ windowMessages: 4 });
  const ask = (message: string, appendToSession = true) =>
    generations.generate(
      { source: { kind: 'inline', prompt: { kind: 'TEXT', template: '{{m}}' } }, variables: { m: message }, model: null, parameters: { maxTokens: 6 }, sessionId: session.id, appendToSession },
      { signal: signal() },
    );
  const first = await ask('My name is Ada.');
  expect(first.renderedMessages).toEqual([{ role: 'USER', content: 'My name is Ada.' }]);
  const second = await ask('What is my name?');
  expect(second.renderedMessages!.slice(0, 2)).toEqual([
    { role: 'USER', content: 'My name is Ada.' },
    { role: 'ASSISTANT', content: first.output },
  ]);
  expect(second.sessionId).toBe(session.id);
  await ask('Only reading.', false);
  const messages = await sessions.messages(session.id);
  expect(messages.map((m) => m.role)).toEqual(['USER', 'ASSISTANT', 'USER', 'ASSISTANT']);
  expect(messages.every((m) => m.tokens > 0)).toBe(true);
  // The window keeps the newest 4 messages.
  await ask('Third turn.');
  expect((await sessions.window(session.id)).map((m) => m.content)[0]).toBe('What is my name?');
  await expect(sessions.window(randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(sessions.create({ tokenBudget: 5_000 })).rejects.toMatchObject({ details: { field: 'tokenBudget' } });
});

test('a session keeps the prompt\'s user messages and the answer, not its system messages', async () => {
  const session = await sessions.create({});
  const ask = (q: string) =>
    generations.generate(
      {
        source: { kind: 'inline', prompt: { kind: 'CHAT', messages: [{ role: 'SYSTEM', content: 'Be terse.' }, { role: 'USER', content: '{{q}}' }] } },
        variables: { q },
        model: null,
        parameters: { maxTokens: 4 },
        sessionId: session.id,
      },
      { signal: signal() },
    );
  await ask('Hello.');
  const second = await ask('Again.');
  // The system message leads once, then the history, then the new turn.
  expect(second.renderedMessages!.map((m) => m.role)).toEqual(['SYSTEM', 'USER', 'ASSISTANT', 'USER']);
  expect((await sessions.messages(session.id)).map((m) => m.role)).toEqual(['USER', 'ASSISTANT', 'USER', 'ASSISTANT']);
});

test('a run with an unknown or malformed sessionId is NOT_FOUND before any node runs; nothing is recorded', async () => {
  const runsBefore = pipelineStore.runs.length;
  const generationsBefore = generationStore.records.length;
  for (const sessionId of ['abc', randomUUID()]) {
    await expect(pipelines.run('qa/rag', { question: 'What causes tides?' }, sessionId, signal())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }
  expect(pipelineStore.runs).toHaveLength(runsBefore);
  expect(generationStore.records).toHaveLength(generationsBefore);
});

test('a run whose nodes were skipped because it was cancelled is FAILED, not SUCCEEDED with missing outputs', async () => {
  const abort = new AbortController();
  abort.abort(new Error('client went away'));
  const run = await pipelines.run('qa/rag', { question: 'What causes tides?' }, null, abort.signal);
  expect(run.status).toBe('FAILED');
  expect(run.outputs).toBeNull();
  expect(run.nodes.every((n) => n.status === 'SKIPPED')).toBe(true);
  expect(run.error).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'CANCELLED' } });
  expect(pipelineStore.runs.at(-1)).toMatchObject({ id: run.id, status: 'FAILED' });
});

test('the window drops the oldest messages past the token budget, never half a message', () => {
  const history = [
    { role: 'USER' as const, content: 'a', tokens: 50 },
    { role: 'ASSISTANT' as const, content: 'b', tokens: 30 },
    { role: 'USER' as const, content: 'c', tokens: 20 },
  ];
  expect(windowOf(history, { windowMessages: 10, tokenBudget: 60 }).map((m) => m.content)).toEqual(['b', 'c']);
  expect(windowOf(history, { windowMessages: 1, tokenBudget: 1000 }).map((m) => m.content)).toEqual(['c']);
  expect(windowOf(history, { windowMessages: 10, tokenBudget: 10 })).toEqual([]);
});

test('prompt nodes read the run session and, with READ_APPEND, append to it', async () => {
  await pipelines.create(
    {
      name: 'chat/turn',
      description: null,
      definition: {
        inputs: ['message'],
        nodes: [prompt('reply', 'chat/reply', { memory: 'READ_APPEND', parameters: { maxTokens: 5 } }), prompt('peek', 'chat/reply', { memory: 'READ', parameters: { maxTokens: 3 } })],
        edges: [
          { from: 'input.message', to: 'reply.message' },
          { from: 'input.message', to: 'peek.message' },
        ],
        outputs: [],
      },
    },
    signal(),
  );
  const session = await sessions.create({});
  await sessions.append(session.id, [{ role: 'USER', content: 'Remember the number 7.' }]);
  const run = await pipelines.run('chat/turn', { message: 'Which number?' }, session.id, signal());
  expect(run.status).toBe('SUCCEEDED');
  expect(Object.keys(run.outputs!)).toEqual(['reply', 'peek']);
  const peek = generationStore.records.find((g) => g.id === run.nodes[1]!.generationId)!;
  expect(peek.renderedMessages![0]).toEqual({ role: 'USER', content: 'Remember the number 7.' });
  const messages = await sessions.messages(session.id);
  expect(messages.map((m) => m.content)).toEqual(['Remember the number 7.', 'Which number?', run.outputs!['reply']]);
});
