// similarPrompts: versions are embedded by the real encoder (MiniLM) and indexed in Elasticsearch
// from the version events; a search ranks them by meaning.
import { randomUUID } from 'node:crypto';
import { graphql, waitFor } from '@llmops/testkit';
import { integrationContext } from './context';

const ctx = integrationContext();

test('versions are indexed from their events and ranked by meaning', async () => {
  const stem = randomUUID().slice(0, 8);
  const prompts = {
    [`similar-${stem}/summarize`]: 'Summarise the following scientific abstract in three plain sentences: {{abstract}}',
    [`similar-${stem}/translate`]: 'Translate this sentence into French, keeping the tone: {{sentence}}',
    [`similar-${stem}/sql`]: 'Write a SQL query that answers the question using the schema below.\n{{schema}}\nQuestion: {{question}}',
  };
  for (const [name, template] of Object.entries(prompts)) {
    await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
    const v = await graphql(ctx.gatewayUrl, `mutation($n: String!, $t: String!) { createPromptVersion(input: { promptName: $n, template: $t }) { id } }`, {
      n: name,
      t: template,
    });
    expect(v.errors).toBeUndefined();
  }
  const search = (text: string) =>
    graphql<{ similarPrompts: Array<{ score: number; version: { prompt: { name: string } } }> }>(
      ctx.gatewayUrl,
      `query($t: String!) { similarPrompts(text: $t, k: 50) { score version { number prompt { name } } } }`,
      { t: text },
    );
  // Indexing follows the version events asynchronously.
  const ours = (r: Awaited<ReturnType<typeof search>>) => r.data!.similarPrompts.filter((h) => h.version.prompt.name.startsWith(`similar-${stem}/`));
  await waitFor(async () => ours(await search('summary of a research paper')).length === 3, { timeoutMs: 60_000, what: 'all three versions to be indexed' });

  const summary = ours(await search('give me a short summary of a research paper'));
  expect(summary[0]!.version.prompt.name).toBe(`similar-${stem}/summarize`);
  expect(summary[0]!.score).toBeGreaterThan(summary[1]!.score);
  expect(summary[0]!.score).toBeLessThanOrEqual(1);
  const french = ours(await search('convert English text to French'));
  expect(french[0]!.version.prompt.name).toBe(`similar-${stem}/translate`);
  const database = ours(await search('generate a database query'));
  expect(database[0]!.version.prompt.name).toBe(`similar-${stem}/sql`);
});

test('bad similarPrompts input is BAD_USER_INPUT naming the field', async () => {
  const empty = await graphql(ctx.gatewayUrl, `{ similarPrompts(text: "  ") { score } }`);
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
  const k = await graphql(ctx.gatewayUrl, `{ similarPrompts(text: "x", k: 500) { score } }`);
  expect(k.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'k' });
});
