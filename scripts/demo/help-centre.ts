// The retrieval half of the demo: a `help-centre` collection of a made-up notes app's articles
// (help-centre.json), ingested through the public API like any client would, the chat prompt that
// answers questions from the three best-matching articles, and a dataset of questions with
// reference answers and the articles that answer them (help-centre-questions.json) to evaluate
// that prompt with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphql } from '@llmops/testkit';
import { waitForJobs } from '../../services/retrieval/src/cli/job-polling';
import { RetrievalClient } from '../../services/retrieval/src/cli/retrieval-client';

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
  const client = new RetrievalClient(gatewayUrl);
  const context = (what: string) => (err: unknown) => {
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  };
  const collection = await client.collection(demoCollection).catch(context(`reading collection ${demoCollection}`));
  if (collection && collection.documentCount >= articles.length) {
    log(`collection ${demoCollection} exists already (${collection.documentCount} documents)`);
    return;
  }
  if (!collection) {
    await client
      .createCollection(demoCollection, null, 'Help-centre articles of the demo notes app (scripts/demo/help-centre.json).')
      .catch(context(`creating collection ${demoCollection}`));
  }
  const job = await client.ingest(demoCollection, articles).catch(context(`ingesting ${articlesFile}`));
  let shown = -1;
  const [done] = await waitForJobs(client, [job], {
    signal: AbortSignal.timeout(180_000),
    onProgress: (processed, failed) => {
      if (processed + failed === shown) return;
      shown = processed + failed;
      log(`collection ${demoCollection}: ${shown} of ${articles.length} articles ingested`);
    },
  }).catch(context(`waiting for ingestion job ${job} of ${articlesFile} to complete`));
  if (done!.failed > 0) {
    const { failures } = await client.job(job, 5);
    throw new Error(`ingesting ${articlesFile}: ${done!.failed} articles failed: ${failures.map((f) => `${f.documentId}: ${f.reason}`).join('; ')}`);
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
