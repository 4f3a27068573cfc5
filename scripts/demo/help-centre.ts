// The retrieval half of the demo: a `help-centre` collection of a made-up notes app's articles
// (help-centre.json), ingested through the public API like any client would, the chat prompt that
// answers questions from the three best-matching articles, and a dataset of questions with
// reference answers and the articles that answer them (help-centre-questions.json) to evaluate
// that prompt with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphql, waitFor } from '@llmops/testkit';

const demoCollection = 'help-centre';
const demoDataset = 'help-centre-questions';

interface Article {
  id: string;
  title: string;
  text: string;
  metadata: Record<string, string>;
}

interface Question {
  variables: { question: string };
  expectedOutput: string;
  expectedDocumentIds: string[];
}

const articlesFile = join(__dirname, 'help-centre.json');
const questionsFile = join(__dirname, 'help-centre-questions.json');

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Loaded with the other chat prompts (demo-data.ts), production alias on version 1. */
export const supportAnswerPrompt = {
  name: 'demo/support-answer',
  description: 'Answer a customer question from the three help-centre articles that match it best.',
  tags: ['demo', 'rag'],
  version: {
    messages: [
      { role: 'SYSTEM', content: 'You are a support agent for Acme Notes. Answer in at most three sentences, using only these articles:\n{{#each articles}}\nArticle {{@index}}:\n{{this}}\n{{/each}}' },
      { role: 'USER', content: '{{question}}' },
    ],
    variables: [{ name: 'question', type: 'STRING' }],
    augmentation: [{ collection: demoCollection, queryTemplate: '{{question}}', k: 3, outputVariable: 'articles' }],
    modelParameters: { model: 'smollm2-135m-instruct', temperature: 0.2, maxTokens: 120 },
  },
};

async function request<T>(gatewayUrl: string, what: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await graphql<T>(gatewayUrl, query, variables);
  if (res.errors) throw new Error(`${what}: ${res.errors[0]!.message} (${String(res.errors[0]!.extensions?.['code'] ?? 'no code')})`);
  return res.data!;
}

/** Creates the collection if needed and ingests the articles unless every one is already there. */
async function loadCollection(gatewayUrl: string, log: (m: string) => void): Promise<void> {
  const articles = readJson<Article[]>(articlesFile);
  const { collection } = await request<{ collection: { documentCount: number } | null }>(
    gatewayUrl,
    `reading collection ${demoCollection}`,
    `query($n: String!) { collection(name: $n) { documentCount } }`,
    { n: demoCollection },
  );
  if (collection && collection.documentCount >= articles.length) {
    log(`collection ${demoCollection} exists already (${collection.documentCount} documents)`);
    return;
  }
  if (!collection) {
    await request(gatewayUrl, `creating collection ${demoCollection}`, `mutation($input: CreateCollectionInput!) { createCollection(input: $input) { name } }`, {
      input: { name: demoCollection, description: 'Help-centre articles of the demo notes app (scripts/demo/help-centre.json).' },
    });
  }
  const { ingestDocuments: job } = await request<{ ingestDocuments: { id: string } }>(
    gatewayUrl,
    `ingesting ${articlesFile}`,
    `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id } }`,
    { c: demoCollection, d: articles },
  );
  let shown = -1;
  const done = await waitFor(
    async () => {
      const { ingestionJob: s } = await request<{ ingestionJob: { status: string; processed: number; failed: number; failures: Array<{ documentId: string; reason: string }> } }>(
        gatewayUrl,
        `reading ingestion job ${job.id}`,
        `query($id: ID!) { ingestionJob(id: $id) { status processed failed failures(first: 5) { documentId reason } } }`,
        { id: job.id },
      );
      if (s.processed + s.failed !== shown) {
        shown = s.processed + s.failed;
        log(`collection ${demoCollection}: ${shown} of ${articles.length} articles ingested`);
      }
      return s.status === 'COMPLETED' ? s : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 500, what: `ingestion job ${job.id} of ${articlesFile} to complete` },
  );
  if (done.failed > 0) {
    throw new Error(`ingesting ${articlesFile}: ${done.failed} articles failed: ${done.failures.map((f) => `${f.documentId}: ${f.reason}`).join('; ')}`);
  }
}

async function loadDataset(gatewayUrl: string, log: (m: string) => void): Promise<void> {
  const created = await graphql<{ createDataset: { id: string } }>(gatewayUrl, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, {
    input: { name: demoDataset, description: `Questions to ${supportAnswerPrompt.name}, with reference answers and the articles that answer them.` },
  });
  if (created.errors?.[0]?.extensions?.['code'] === 'CONFLICT') {
    log(`dataset ${demoDataset} exists already`);
    return;
  }
  if (created.errors) throw new Error(`creating demo dataset ${demoDataset}: ${created.errors[0]!.message}`);
  const items = readJson<Question[]>(questionsFile);
  await request(gatewayUrl, `adding the items of ${questionsFile}`, `mutation($id: ID!, $items: [DatasetItemInput!]!) { addDatasetItems(datasetId: $id, items: $items) { id } }`, {
    id: created.data!.createDataset.id,
    items,
  });
  log(`dataset ${demoDataset} with ${items.length} questions`);
}

/** The collection and the dataset (the prompt is loaded with the other chat prompts). */
export async function loadHelpCentreDemo(gatewayUrl: string, log: (m: string) => void): Promise<void> {
  await loadCollection(gatewayUrl, log);
  await loadDataset(gatewayUrl, log);
}
