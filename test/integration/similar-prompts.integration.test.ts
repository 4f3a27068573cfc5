// similarPrompts: versions are embedded by the real encoder (MiniLM) and indexed in Elasticsearch
// from the version events; a search ranks them by meaning, within the caller's project. The test
// works in a project of its own (straight to the registry, with a signed identity), so other
// tests' prompts cannot crowd its versions out of the top k.
import { randomUUID } from 'node:crypto';
import { graphql, waitFor } from '@llmops/testkit';
import { integrationContext, programUrl, subgraphHeaders } from './context';

const ctx = integrationContext();

test('versions are indexed from their events and ranked by meaning, within the project', async () => {
  const stem = randomUUID().slice(0, 8);
  const registry = `${programUrl('prompt-registry')}/graphql`;
  const as = (projectId: string) => subgraphHeaders({ projectId, subject: 'it', role: 'editor', via: 'api-key' });
  const project = as(`similar-${stem}`);
  const prompts = {
    [`similar-${stem}/summarize`]: 'Summarise the following scientific abstract in three plain sentences: {{abstract}}',
    [`similar-${stem}/translate`]: 'Translate this sentence into French, keeping the tone: {{sentence}}',
    [`similar-${stem}/sql`]: 'Write a SQL query that answers the question using the schema below.\n{{schema}}\nQuestion: {{question}}',
  };
  for (const [name, template] of Object.entries(prompts)) {
    await graphql(registry, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name }, project);
    const v = await graphql(
      registry,
      `mutation($n: String!, $t: String!) { createPromptVersion(input: { promptName: $n, template: $t }) { id } }`,
      { n: name, t: template },
      project,
    );
    expect(v.errors).toBeUndefined();
  }
  const search = (text: string, headers = project) =>
    graphql<{ similarPrompts: Array<{ score: number; version: { prompt: { name: string } } }> }>(
      registry,
      `query($t: String!) { similarPrompts(text: $t, k: 50) { score version { number prompt { name } } } }`,
      { t: text },
      headers,
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
  // The project holds exactly these three; another project sees none of them.
  expect((await search('summary of a research paper')).data!.similarPrompts).toHaveLength(3);
  expect((await search('summary of a research paper', as(`other-${stem}`))).data!.similarPrompts).toEqual([]);
});

test('bad similarPrompts input is BAD_USER_INPUT naming the field', async () => {
  const empty = await graphql(ctx.gatewayUrl, `{ similarPrompts(text: "  ") { score } }`);
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
  const k = await graphql(ctx.gatewayUrl, `{ similarPrompts(text: "x", k: 500) { score } }`);
  expect(k.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'k' });
});
