// Demo data for the local stack, written through the public GraphQL API. Re-running it is safe:
// what exists already is left alone.
import { graphql } from '@llmops/testkit';
import { loadHelpCentreDemo, supportAnswerPrompt } from './demo/help-centre';

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

// Chat prompts for the generation service, answered by the embedded SmolLM2 model, each with a
// production alias (the last answers from the help-centre collection); and a pipeline that explains a topic, then summarises and tags it in parallel.
const generationPrompts = [
  {
    name: 'demo/explain',
    description: 'Explain a topic to a beginner.',
    tags: ['demo', 'generation'],
    version: {
      messages: [
        { role: 'SYSTEM', content: 'You are a patient teacher. Explain clearly in a short paragraph.' },
        { role: 'USER', content: 'Explain {{topic}} to a beginner.' },
      ],
      modelParameters: { model: 'smollm2-135m-instruct', temperature: 0.3, maxTokens: 160 },
    },
  },
  {
    name: 'demo/summarize-text',
    description: 'Summarise a text in one sentence.',
    tags: ['demo', 'generation'],
    version: {
      messages: [{ role: 'USER', content: 'Summarise in one sentence:\n\n{{text}}' }],
      modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 60 },
    },
  },
  {
    name: 'demo/keywords',
    description: 'Three keywords for a text, comma-separated.',
    tags: ['demo', 'generation'],
    version: {
      messages: [{ role: 'USER', content: 'Give three keywords, comma-separated, for:\n\n{{text}}' }],
      modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 24, stop: ['\n\n'] },
    },
  },
  supportAnswerPrompt,
];

const demoPipeline = {
  name: 'demo/explain-summarize-tag',
  description: 'Explains a topic, then summarises the explanation and tags it in parallel.',
  inputs: ['topic'],
  nodes: [
    { id: 'explain', kind: 'PROMPT', prompt: { name: 'demo/explain', alias: 'production' } },
    { id: 'summary', kind: 'PROMPT', prompt: { name: 'demo/summarize-text', alias: 'production' } },
    { id: 'keywords', kind: 'PROMPT', prompt: { name: 'demo/keywords', alias: 'production' } },
    { id: 'card', kind: 'TRANSFORM', template: '{{summary}}\nKeywords: {{keywords}}' },
  ],
  edges: [
    { from: 'input.topic', to: 'explain.topic' },
    { from: 'explain.text', to: 'summary.text' },
    { from: 'explain.text', to: 'keywords.text' },
    { from: 'summary.text', to: 'card.summary' },
    { from: 'keywords.text', to: 'card.keywords' },
  ],
  outputs: [
    { name: 'explanation', from: 'explain.text' },
    { name: 'card', from: 'card.text' },
  ],
};

async function loadGenerationDemo(gatewayUrl: string, log: (m: string) => void): Promise<void> {
  for (const p of generationPrompts) {
    const created = await graphql(gatewayUrl, `mutation($input: CreatePromptInput!) { createPrompt(input: $input) { id } }`, {
      input: { name: p.name, description: p.description, tags: p.tags },
    });
    if (created.errors?.[0]?.extensions?.['code'] === 'CONFLICT') {
      log(`prompt ${p.name} exists already`);
      continue;
    }
    if (created.errors) throw new Error(`creating demo prompt ${p.name}: ${created.errors[0]!.message}`);
    const v = await graphql(gatewayUrl, `mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { number } }`, {
      input: { promptName: p.name, ...p.version, commitMessage: 'first version', author: 'demo' },
    });
    if (v.errors) throw new Error(`creating a version of demo prompt ${p.name}: ${v.errors[0]!.message}`);
    const alias = await graphql(gatewayUrl, `mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 1, movedBy: "demo") { alias } }`, { n: p.name });
    if (alias.errors) throw new Error(`aliasing demo prompt ${p.name}: ${alias.errors[0]!.message}`);
    log(`prompt ${p.name} (production = 1)`);
  }
  const pipeline = await graphql(gatewayUrl, `mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }`, { input: demoPipeline });
  const code = pipeline.errors?.[0]?.extensions?.['code'];
  if (pipeline.errors && code !== 'CONFLICT') throw new Error(`creating the demo pipeline: ${pipeline.errors[0]!.message}`);
  log(code === 'CONFLICT' ? `pipeline ${demoPipeline.name} exists already` : `pipeline ${demoPipeline.name}`);
}

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
  await loadGenerationDemo(gatewayUrl, log);
  await loadHelpCentreDemo(gatewayUrl, log);
}
