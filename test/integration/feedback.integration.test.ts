// Feedback end to end on the real stack: a real generation (embedded model) recorded by the
// generation service reaches the feedback service through generation.completed.v1; feedback
// submitted through the gateway goes through feedback.submitted.v1 into PostgreSQL and shows in
// Generation.feedback and PromptVersion.metrics (entity extensions across subgraphs); duplicates
// change nothing, bad input is a typed error, and a malformed event lands on the dead-letter topic.
// Feedback on a generation the feedback service has no facts of yet is checked with the generation
// service (gRPC GetGeneration); only one that does not exist there either is NOT_FOUND.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { graphql, scrapeSample, waitFor } from '@llmops/testkit';
import { integrationContext, programUrl } from './context';
import { KafkaProbe } from './kafka-probe';

const ctx = integrationContext();
const db = new Client({ connectionString: ctx.databaseUrl });
const probe = new KafkaProbe(ctx.kafkaBrokers);

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);

interface FeedbackData {
  id: string;
  generationId: string;
  score: number | null;
  thumbs: string | null;
  comment: string | null;
  labels: string[];
  user: string | null;
}

const SUBMIT = `mutation($input: FeedbackInput!) { submitFeedback(input: $input) { id generationId score thumbs comment labels user createdAt } }`;
const METRICS = `query($id: ID!) { generation(id: $id) { promptVersion { id metrics {
  generationCount failedGenerationCount latencyP50Ms latencyP95Ms promptTokens completionTokens
  feedbackCount scoreCount averageScore thumbsCount thumbsUpRate } } } }`;

let generationId: string;
let versionId: string;
let promptName: string;
let completionTokens: number;
let latencyMs: number;

beforeAll(async () => {
  await db.connect();
  await probe.start(['feedback.submitted.dlq.v1']);
  const name = (promptName = `it-feedback/${randomUUID().slice(0, 8)}`);
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["it"] }) { id } }`, { n: name });
  const v = await gql<{ createPromptVersion: { id: string } }>(`mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`, {
    input: { promptName: name, commitMessage: 'it', template: 'Say hello to {{who}}.', modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 8 } },
  });
  expect(v.errors).toBeUndefined();
  versionId = v.data!.createPromptVersion.id;
  const g = await gql<{ generate: { id: string; status: string; completionTokens: number; latencyMs: number } }>(
    `mutation($input: GenerateInput!) { generate(input: $input) { id status completionTokens latencyMs } }`,
    { input: { prompt: { name, version: 1 }, variables: { who: 'Ada' } } },
  );
  expect(g.errors).toBeUndefined();
  expect(g.data!.generate.status).toBe('SUCCEEDED');
  ({ id: generationId, completionTokens, latencyMs } = g.data!.generate);
  // The feedback service learns of the generation from generation.completed.v1.
  await waitFor(async () => (await db.query('SELECT 1 FROM feedback.generation_facts WHERE generation_id = $1', [generationId])).rowCount || undefined, {
    timeoutMs: 30_000,
    what: 'the generation facts in the feedback service',
  });
});

afterAll(async () => {
  await probe.stop();
  await db.end();
});

async function feedbackOf(id: string): Promise<FeedbackData[]> {
  const res = await gql<{ generation: { feedback: FeedbackData[] } }>(`query($id: ID!) { generation(id: $id) { feedback { id generationId score thumbs comment labels user } } }`, {
    id,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.generation.feedback;
}

test('valid feedback is applied: it shows in Generation.feedback and PromptVersion.metrics', async () => {
  const acceptedScores = () => scrapeSample(programUrl('feedback'), 'feedback_submitted_total', { kind: 'score', outcome: 'accepted' });
  const scoresBefore = await acceptedScores();
  const scored = await gql<{ submitFeedback: FeedbackData }>(SUBMIT, {
    input: { generationId, score: 4, comment: 'friendly', labels: ['tone'], user: 'it-user' },
  });
  expect(scored.errors).toBeUndefined();
  const batch = await gql<{ submitFeedbackBatch: FeedbackData[] }>(
    `mutation($inputs: [FeedbackInput!]!) { submitFeedbackBatch(inputs: $inputs) { id thumbs score } }`,
    { inputs: [{ generationId, score: 2 }, { generationId, thumbs: 'UP' }, { generationId, thumbs: 'DOWN' }, { generationId, thumbs: 'UP' }] },
  );
  expect(batch.errors).toBeUndefined();
  const ids = [scored.data!.submitFeedback.id, ...batch.data!.submitFeedbackBatch.map((f) => f.id)];

  const applied = await waitFor(async () => {
    const list = await feedbackOf(generationId);
    return ids.every((id) => list.some((f) => f.id === id)) ? list : undefined;
  }, { timeoutMs: 30_000, what: 'the feedback in Generation.feedback' });
  expect(applied.find((f) => f.id === ids[0])).toEqual({ id: ids[0], generationId, score: 4, thumbs: null, comment: 'friendly', labels: ['tone'], user: 'it-user' });

  const res = await gql<{ generation: { promptVersion: { id: string; metrics: Record<string, number | null> } } }>(METRICS, { id: generationId });
  expect(res.errors).toBeUndefined();
  expect(res.data!.generation.promptVersion.id).toBe(versionId);
  const m = res.data!.generation.promptVersion.metrics;
  expect(m).toMatchObject({ generationCount: 1, failedGenerationCount: 0, latencyP50Ms: latencyMs, latencyP95Ms: latencyMs, completionTokens });
  expect(m['promptTokens']).toBeGreaterThan(0);
  expect(m).toMatchObject({ feedbackCount: 5, scoreCount: 2, averageScore: 3, thumbsCount: 3 });
  expect(m['thumbsUpRate']).toBeCloseTo(2 / 3, 10);

  // Two scores were accepted (the counter is process-wide: earlier tests' feedback counts too).
  expect((await acceptedScores()) - scoresBefore).toBe(2);
  expect(await scrapeSample(programUrl('feedback'), 'feedback_score_count', { prompt: promptName })).toBe(2);
});

test('a duplicate submission changes nothing', async () => {
  const id = randomUUID();
  const first = await gql<{ submitFeedback: FeedbackData }>(SUBMIT, { input: { id, generationId, thumbs: 'DOWN', comment: 'first' } });
  expect(first.errors).toBeUndefined();
  await waitFor(async () => ((await feedbackOf(generationId)).some((f) => f.id === id) ? true : undefined), { timeoutMs: 30_000, what: 'the first submission' });
  const before = (await db.query('SELECT feedback_count, thumbs_count, thumbs_up_count FROM feedback.feedback_version_minutes WHERE prompt_version_id = $1', [versionId])).rows;

  const again = await gql<{ submitFeedback: FeedbackData }>(SUBMIT, { input: { id, generationId, thumbs: 'UP', comment: 'second' } });
  expect(again.errors).toBeUndefined();
  expect(again.data!.submitFeedback).toMatchObject({ id, thumbs: 'DOWN', comment: 'first' });
  // Also straight onto the topic, as a redelivery would be: applied once only.
  const kafka = new Kafka({ clientId: 'it-feedback', brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const redelivered = { eventId: randomUUID(), occurredAt: new Date().toISOString(), feedbackId: id, generationId, promptVersionId: versionId, promptName: null, score: null, thumbs: 'UP', comment: 'third', labels: [], user: null };
  const marker = randomUUID();
  const markerEvent = { ...redelivered, eventId: randomUUID(), feedbackId: marker, thumbs: 'UP', comment: 'marker' };
  await producer.send({ topic: 'feedback.submitted.v1', messages: [{ key: id, value: JSON.stringify(redelivered) }, { key: marker, value: JSON.stringify(markerEvent) }] });
  await producer.disconnect();
  await waitFor(async () => ((await feedbackOf(generationId)).some((f) => f.id === marker) ? true : undefined), { timeoutMs: 30_000, what: 'the marker feedback' });

  const rows = (await db.query('SELECT thumbs, comment FROM feedback.feedback_entries WHERE id = $1', [id])).rows;
  expect(rows).toEqual([{ thumbs: 'DOWN', comment: 'first' }]);
  const after = (await db.query('SELECT feedback_count, thumbs_count, thumbs_up_count FROM feedback.feedback_version_minutes WHERE prompt_version_id = $1', [versionId])).rows;
  const total = (rs: Array<Record<string, string>>, k: string) => rs.reduce((s, r) => s + Number(r[k]), 0);
  // Only the marker was added.
  expect(total(after, 'feedback_count')).toBe(total(before, 'feedback_count') + 1);
  expect(total(after, 'thumbs_up_count')).toBe(total(before, 'thumbs_up_count') + 1);
});

test('feedback on a generation whose event has not reached the feedback service is accepted after asking the generation service', async () => {
  // Version 2 of the prompt, so that the metrics of version 1 above are not touched.
  const v2 = await gql<{ createPromptVersion: { id: string } }>(`mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`, {
    input: { promptName, commitMessage: 'it late', template: 'Say goodbye to {{who}}.', modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 4 } },
  });
  expect(v2.errors).toBeUndefined();
  const g = await gql<{ generate: { id: string } }>(`mutation($input: GenerateInput!) { generate(input: $input) { id } }`, {
    input: { prompt: { name: promptName, version: 2 }, variables: { who: 'Grace' } },
  });
  expect(g.errors).toBeUndefined();
  const late = g.data!.generate.id;
  // As if its generation.completed.v1 had not arrived yet: the service's copy of the facts lacks it.
  await waitFor(async () => (await db.query('SELECT 1 FROM feedback.generation_facts WHERE generation_id = $1', [late])).rowCount || undefined, {
    timeoutMs: 30_000,
    what: 'the generation facts of the second generation',
  });
  await db.query('DELETE FROM feedback.generation_facts WHERE generation_id = $1', [late]);

  const id = randomUUID();
  const res = await gql<{ submitFeedback: FeedbackData }>(SUBMIT, { input: { id, generationId: late, score: 5, user: 'it-late' } });
  expect(res.errors).toBeUndefined();
  expect(res.data!.submitFeedback).toMatchObject({ id, generationId: late, score: 5 });
  // Applied and attributed to the version the generation service reported.
  await waitFor(async () => (await db.query('SELECT 1 FROM feedback.feedback_entries WHERE id = $1', [id])).rowCount || undefined, { timeoutMs: 30_000, what: 'the late feedback' });
  const rows = (await db.query('SELECT prompt_version_id, prompt_name FROM feedback.feedback_entries WHERE id = $1', [id])).rows;
  expect(rows).toEqual([{ prompt_version_id: v2.data!.createPromptVersion.id, prompt_name: promptName }]);
  // The answer attributed the feedback only: the facts stay the events' (none recorded here).
  expect((await db.query('SELECT 1 FROM feedback.generation_facts WHERE generation_id = $1', [late])).rowCount).toBe(0);
});

test.each([
  ['an unknown generation', { generationId: '00000000-0000-4000-8000-00000000dead', thumbs: 'UP' }, 'NOT_FOUND', 'input.generationId'],
  ['a score out of range', { score: 6 }, 'BAD_USER_INPUT', 'input.score'],
  ['both score and thumbs', { score: 3, thumbs: 'UP' }, 'BAD_USER_INPUT', 'input.score'],
  ['an oversized comment', { thumbs: 'UP', comment: 'x'.repeat(4001) }, 'BAD_USER_INPUT', 'input.comment'],
])('%s is a typed error and records nothing', async (_what, over, code, field) => {
  const id = randomUUID();
  const res = await gql(SUBMIT, { input: { id, generationId, ...over } });
  expect(res.data).toBeNull();
  expect(res.errors?.[0]?.extensions?.['code']).toBe(code);
  if (field) expect(res.errors?.[0]?.extensions?.['field']).toBe(field);
  // Give a wrongly published event time to be applied before checking it was not.
  await new Promise((r) => setTimeout(r, 1_000));
  expect((await db.query('SELECT 1 FROM feedback.feedback_entries WHERE id = $1', [id])).rowCount).toBe(0);
});

test('a malformed event on feedback.submitted.v1 goes to the dead-letter topic', async () => {
  const kafka = new Kafka({ clientId: 'it-feedback-dlq', brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const key = randomUUID();
  await producer.send({
    topic: 'feedback.submitted.v1',
    messages: [
      { key, value: JSON.stringify({ eventId: randomUUID(), occurredAt: new Date().toISOString(), feedbackId: key, generationId, score: 'five' }) },
    ],
  });
  await producer.disconnect();
  const dead = await probe.waitForMessage((m) => m.key === key, 'the malformed event on the DLQ');
  expect(dead.headers['x-dlq-original-topic']).toBe('feedback.submitted.v1');
  expect(dead.headers['x-dlq-error']).toMatch(/does not match feedback.submitted.v1/);
  expect(dead.value['score']).toBe('five');
  expect((await db.query('SELECT 1 FROM feedback.feedback_entries WHERE id = $1', [key])).rowCount).toBe(0);
});
