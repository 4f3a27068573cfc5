// Projects isolate the feedback service (issue #3): feedback, generation facts, metrics, datasets
// and evaluation runs of project A are invisible to project B, and an id of A's is NOT_FOUND (or
// null, where the schema answers null for an unknown id) to B. Both projects are callers of the
// stack's own gateway with API keys of their own.
//
// Generation facts are stored under the project of their generation.completed.v1 event. The test
// writes such an event itself for a generation id the generation service does not know, so that
// the feedback service's own facts decide (its fallback GetGeneration answers NOT_FOUND for it).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { graphql, waitFor, type GraphQLResponse } from '@llmops/testkit';
import { integrationContext } from './context';
import { bearer, createKey, createProject } from './projects';

const ctx = integrationContext();
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

type Caller = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<T>>;
const callerWith =
  (key: string): Caller =>
  (query, variables = {}) =>
    graphql(ctx.gatewayUrl, query, variables, bearer(key));

async function ok<T>(call: Caller, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await call<T>(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.['code'];

const SUBMIT = `mutation($input: FeedbackInput!) { submitFeedback(input: $input) { id } }`;
const FEEDBACK = `query($id: ID!) { generation(id: $id) { feedback { id score } } }`;
const METRICS = `query($id: ID!) { generation(id: $id) { promptVersion { id metrics { generationCount feedbackCount scoreCount averageScore } } } }`;
const RUN = `id status processed failed results(first: 5) { edges { node { error output } } }`;

let asA: Caller;
let asB: Caller;
let promptName: string;
let versionId: string;
/** A real generation of project A (its generation.completed.v1 event carries project A). */
let generationA: string;
/** A generation only the feedback service knows, from an event of project A. */
let factOfA: string;

async function publishGenerationOfA(generationId: string, projectId: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'it-projects-feedback', brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const event = {
    eventId: randomUUID(),
    occurredAt: new Date().toISOString(),
    projectId,
    generationId,
    status: 'SUCCEEDED',
    promptId: null,
    promptName,
    promptVersionId: versionId,
    promptVersion: 1,
    model: 'smollm2-135m-instruct',
    backend: 'embedded',
    finishReason: 'LENGTH',
    promptTokens: 10,
    completionTokens: 8,
    latencyMs: 42,
    timeToFirstTokenMs: 5,
    errorCode: null,
    sessionId: null,
    pipelineRunId: null,
  };
  await producer.send({ topic: 'generation.completed.v1', messages: [{ key: generationId, value: JSON.stringify(event) }] });
  await producer.disconnect();
}

let projectA: string;

beforeAll(async () => {
  projectA = await createProject('it-fb-a');
  const projectB = await createProject('it-fb-b');
  asA = callerWith(await createKey(projectA, 'editor'));
  asB = callerWith(await createKey(projectB, 'editor'));
  promptName = unique('it-projects-feedback');
  await ok(asA, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: promptName });
  const v = await ok<{ createPromptVersion: { id: string } }>(asA, `mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`, {
    input: { promptName, commitMessage: 'it', template: 'Say hello to {{who}}.', modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 8 } },
  });
  versionId = v.createPromptVersion.id;
  const g = await ok<{ generate: { id: string; status: string } }>(asA, `mutation($input: GenerateInput!) { generate(input: $input) { id status } }`, {
    input: { prompt: { name: promptName, version: 1 }, variables: { who: 'Ada' } },
  });
  expect(g.generate.status).toBe('SUCCEEDED');
  generationA = g.generate.id;
  factOfA = randomUUID();
  await publishGenerationOfA(factOfA, projectA);
  // Known to A once the event is in: A's feedback on it is accepted without asking the generation service.
  await waitFor(async () => (codeOf(await asA(SUBMIT, { input: { generationId: factOfA, score: 5 } })) === undefined ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: "the generation facts of project A's event",
  });
});

test("B cannot submit feedback on A's generation: NOT_FOUND", async () => {
  const res = await asB(SUBMIT, { input: { generationId: factOfA, score: 1 } });
  expect(codeOf(res)).toBe('NOT_FOUND');
  const batch = await asB(`mutation($inputs: [FeedbackInput!]!) { submitFeedbackBatch(inputs: $inputs) { id } }`, {
    inputs: [{ generationId: factOfA, thumbs: 'UP' }],
  });
  expect(codeOf(batch)).toBe('NOT_FOUND');
});

test("B does not see A's feedback, and A's metrics do not count B's", async () => {
  const mine = await ok<{ submitFeedback: { id: string } }>(asA, SUBMIT, { input: { generationId: generationA, score: 4 } });
  await waitFor(
    async () => ((await ok<{ generation: { feedback: Array<{ id: string }> } }>(asA, FEEDBACK, { id: generationA })).generation.feedback.length ? true : undefined),
    { timeoutMs: 30_000, what: "A's feedback applied" },
  );
  const seenByB = await asB<{ generation: { feedback: Array<{ id: string }> } | null }>(FEEDBACK, { id: generationA });
  expect(seenByB.data?.generation?.feedback ?? []).toEqual([]);

  // B's attempt on A's real generation: the feedback service has no facts of it for B, and the
  // generation service (asked as B) does not find it either.
  expect(codeOf(await asB(SUBMIT, { input: { generationId: generationA, score: 1 } }))).toBe('NOT_FOUND');
  const aSees = await ok<{ generation: { feedback: Array<{ id: string; score: number }> } }>(asA, FEEDBACK, { id: generationA });
  expect(aSees.generation.feedback).toEqual([{ id: mine.submitFeedback.id, score: 4 }]);
  type Metrics = { generation: { promptVersion: { id: string; metrics: Record<string, number | null> } } };
  const metrics = await waitFor(
    async () => {
      const m = await ok<Metrics>(asA, METRICS, { id: generationA });
      return (m.generation.promptVersion.metrics['feedbackCount'] ?? 0) >= 2 ? m : undefined;
    },
    { timeoutMs: 30_000, what: "A's two scores in A's metrics" },
  );
  expect(metrics.generation.promptVersion.id).toBe(versionId);
  // A's two scores (5 on the event-only generation, 4 on the real one), and A's two generations.
  expect(metrics.generation.promptVersion.metrics).toMatchObject({ generationCount: 2, feedbackCount: 2, scoreCount: 2, averageScore: 4.5 });
});

describe('datasets and evaluation runs', () => {
  let datasetA: string;
  let runA: string;

  beforeAll(async () => {
    const created = await ok<{ createDataset: { id: string } }>(asA, `mutation($n: String!) { createDataset(input: { name: $n }) { id } }`, { n: unique('it-fb-ds') });
    datasetA = created.createDataset.id;
    await ok(asA, `mutation($id: ID!, $items: [DatasetItemInput!]!) { addDatasetItems(datasetId: $id, items: $items) { id } }`, {
      id: datasetA,
      items: [{ variables: { who: 'Grace' }, expectedOutput: 'Hello Grace' }],
    });
    const started = await ok<{ startEvaluationRun: { id: string } }>(asA, `mutation($input: StartEvaluationRunInput!) { startEvaluationRun(input: $input) { id } }`, {
      input: { prompt: { name: promptName, version: 1 }, datasetId: datasetA, metrics: ['ROUGE_L'], parameters: { maxTokens: 8, temperature: 0, seed: 1 } },
    });
    runA = started.startEvaluationRun.id;
  });

  test("A's run works as A: the prompt of A renders, and the run succeeds", async () => {
    const run = await waitFor(
      async () => {
        const r = (await ok<{ evaluationRun: { status: string; processed: number; failed: number; results: { edges: Array<{ node: { error: string | null } }> } } }>(asA, `query($id: ID!) { evaluationRun(id: $id) { ${RUN} } }`, { id: runA })).evaluationRun;
        return r.status === 'SUCCEEDED' || r.status === 'FAILED' ? r : undefined;
      },
      { timeoutMs: 110_000, intervalMs: 500, what: "A's evaluation run to finish" },
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', processed: 1, failed: 0 });
    expect(run.results.edges[0]!.node.error).toBeNull();
  });

  test("B's dataset list does not include A's, and A's datasets are NOT_FOUND to B", async () => {
    const mineB = await ok<{ createDataset: { id: string } }>(asB, `mutation($n: String!) { createDataset(input: { name: $n }) { id } }`, { n: unique('it-fb-ds') });
    const listB = (await ok<{ datasets: Array<{ id: string }> }>(asB, `{ datasets { id } }`)).datasets.map((d) => d.id);
    expect(listB).toContain(mineB.createDataset.id);
    expect(listB).not.toContain(datasetA);
    expect((await ok<{ datasets: Array<{ id: string }> }>(asA, `{ datasets { id } }`)).datasets.map((d) => d.id)).toContain(datasetA);

    const add = await asB(`mutation($id: ID!, $items: [DatasetItemInput!]!) { addDatasetItems(datasetId: $id, items: $items) { id } }`, {
      id: datasetA,
      items: [{ variables: { who: 'Eve' } }],
    });
    expect(codeOf(add)).toBe('NOT_FOUND');
    const start = await asB(`mutation($input: StartEvaluationRunInput!) { startEvaluationRun(input: $input) { id } }`, {
      input: { prompt: { name: promptName, version: 1 }, datasetId: datasetA, metrics: ['ROUGE_L'] },
    });
    expect(codeOf(start)).toBe('NOT_FOUND');
  });

  test("A's runs are unknown to B: null, empty, NOT_FOUND", async () => {
    expect((await ok<{ evaluationRun: unknown }>(asB, `query($id: ID!) { evaluationRun(id: $id) { id } }`, { id: runA })).evaluationRun).toBeNull();
    expect((await ok<{ evaluationRuns: unknown[] }>(asB, `query($id: ID!) { evaluationRuns(datasetId: $id) { id } }`, { id: datasetA })).evaluationRuns).toEqual([]);
    for (const mutation of ['cancelEvaluationRun', 'resumeEvaluationRun']) {
      expect(codeOf(await asB(`mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id: runA }))).toBe('NOT_FOUND');
    }
    const compare = await asB(`query($a: ID!) { compareEvaluationRuns(a: $a, b: $a, metric: ROUGE_L) { pairs } }`, { a: runA });
    expect(codeOf(compare)).toBe('NOT_FOUND');
    // A still reads its own.
    expect((await ok<{ evaluationRuns: Array<{ id: string }> }>(asA, `query($id: ID!) { evaluationRuns(datasetId: $id) { id } }`, { id: datasetA })).evaluationRuns).toEqual([{ id: runA }]);
  });
});
