// REDACT_PII on the real stack (the integration global setup turns it on for every program): an
// e-mail address, a phone number and a card number in a feedback comment, its user and a generation
// variable reach neither the published events, nor any program's log file, nor the exported spans.
// Because the feedback service stores what its topic carries, the stored comment is masked too.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { graphql, waitFor } from '@llmops/testkit';
import { integrationContext } from './context';
import { KafkaProbe } from './kafka-probe';

const ctx = integrationContext();
const probe = new KafkaProbe(ctx.kafkaBrokers);
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);

const tag = randomUUID().slice(0, 8);
const email = `ada.${tag}@example.com`;
const phone = '+44 20 7946 0958';
const card = '4111 1111 1111 1111';

beforeAll(() => probe.start(['feedback.submitted.v1']));
afterAll(() => probe.stop());

test('personal data in feedback and generation input is masked in events, logs and spans', async () => {
  const g = await gql<{ generate: { id: string; status: string } }>(`mutation($input: GenerateInput!) { generate(input: $input) { id status } }`, {
    input: { template: 'Reply with one word to {{who}}.', variables: { who: email }, parameters: { maxTokens: 2, temperature: 0 } },
  });
  expect(g.errors).toBeUndefined();
  const generationId = g.data!.generate.id;

  const id = randomUUID();
  const comment = `Wrong answer. Write to ${email} or call ${phone}; my card ${card} was charged.`;
  const submitted = await waitFor(
    async () => {
      const res = await gql<{ submitFeedback: { id: string } }>(`mutation($input: FeedbackInput!) { submitFeedback(input: $input) { id } }`, {
        input: { id, generationId, score: 1, comment, user: email },
      });
      // The generation's event may not have reached the feedback service yet.
      return res.errors?.[0]?.extensions?.['code'] === 'NOT_FOUND' ? undefined : res;
    },
    { timeoutMs: 30_000, what: 'the feedback to be accepted', intervalMs: 250 },
  );
  expect(submitted.errors).toBeUndefined();

  const event = await probe.waitForMessage((m) => m.key === id, 'the feedback.submitted.v1 event');
  expect(event.value['comment']).toBe('Wrong answer. Write to [email] or call [phone]; my card [card] was charged.');
  expect(event.value['user']).toBe('[email]');
  expect(event.value['score']).toBe(1);

  const stored = await waitFor(
    async () => {
      const res = await gql<{ generation: { feedback: Array<{ id: string; comment: string; user: string }> } }>(
        `query($id: ID!) { generation(id: $id) { feedback { id comment user } } }`,
        { id: generationId },
      );
      return res.data?.generation.feedback.find((f) => f.id === id);
    },
    { timeoutMs: 30_000, what: 'the feedback to be applied' },
  );
  expect(stored).toMatchObject({ comment: event.value['comment'], user: '[email]' });

  // Give the span exporters (200 ms batches) time to flush, then look everywhere.
  await new Promise((r) => setTimeout(r, 1_500));
  for (const file of [...ctx.programs.map((p) => p.logFile), ctx.spansFile]) {
    const text = readFileSync(file, 'utf8');
    for (const secret of [email, phone, card]) {
      if (text.includes(secret)) throw new Error(`${secret} appears in ${file}`);
    }
  }
});
