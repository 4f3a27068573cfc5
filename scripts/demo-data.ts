// Demo data for the local stack, written through the public GraphQL API. Re-running it is safe:
// what exists already is left alone.
import { graphql } from '@llmops/testkit';

const prompts = [
  {
    name: 'support/answer-question',
    description: 'Answer a customer question from retrieved help-centre articles.',
    tags: ['demo', 'rag'],
    versions: [
      'Answer the question using only the articles below.\n\nArticles:\n{{articles}}\n\nQuestion: {{question}}',
      'You are a support agent. Answer the question using only the numbered articles below and cite them as [n].\n\nArticles:\n{{articles}}\n\nQuestion: {{question}}',
    ],
  },
  {
    name: 'summarize/abstract',
    description: 'Summarise a scientific abstract in plain language.',
    tags: ['demo', 'summarization'],
    versions: ['Summarise this abstract in {{sentences}} plain sentences:\n\n{{abstract}}'],
  },
];

export async function loadDemoData(gatewayUrl: string, log: (m: string) => void): Promise<void> {
  for (const p of prompts) {
    const created = await graphql(gatewayUrl, `mutation($input: CreatePromptInput!) { createPrompt(input: $input) { id } }`, {
      input: { name: p.name, description: p.description, tags: p.tags },
    });
    const code = created.errors?.[0]?.extensions?.['code'];
    if (code === 'CONFLICT') {
      log(`prompt ${p.name} exists already`);
      continue;
    }
    if (created.errors) throw new Error(`creating demo prompt ${p.name}: ${created.errors[0]!.message}`);
    for (const [i, template] of p.versions.entries()) {
      const v = await graphql(gatewayUrl, `mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { number } }`, {
        input: { promptName: p.name, template, commitMessage: i === 0 ? 'first version' : 'ask for citations', author: 'demo' },
      });
      if (v.errors) throw new Error(`creating a version of demo prompt ${p.name}: ${v.errors[0]!.message}`);
    }
    log(`prompt ${p.name} with ${p.versions.length} version(s)`);
  }
  const dataset = await graphql(gatewayUrl, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, {
    input: { name: 'scifact-claims', description: 'SciFact claims for retrieval evaluation (see shared/data).' },
  });
  const code = dataset.errors?.[0]?.extensions?.['code'];
  if (dataset.errors && code !== 'CONFLICT') throw new Error(`creating the demo dataset: ${dataset.errors[0]!.message}`);
  log('dataset scifact-claims');
}
