// Offline ingestion throughput: Kafka -> encoder -> Elasticsearch against the raw encoder.
//   raw:      the same documents embedded straight through EncoderService.Embed, as fast as the
//             encoder goes: the best of the consumer's batches/concurrency (16 x 2) and of larger
//             ones (32 x 3);
//   pipeline: ingestDocuments (GraphQL) -> documents.ingest.v1 -> consumer -> Embed -> bulk
//             index, timed from the first call until every job reports COMPLETED.
// raw is measured before and after the pipeline (the machine is shared) and averaged.
// Target: pipeline >= 90 % of raw.   npm run bench:ingestion -- [--documents 600]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import { encoderV1 } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql } from '@llmops/testkit';
import { embeddingText } from '../services/retrieval/src/domain/indexer';
import { repoRoot, round, startSearchStack } from './search-stack';

const { values: args } = parseArgs({ options: { documents: { type: 'string', default: '600' }, dataset: { type: 'string', default: '/work/shared/data/beir-scifact' } } });
/** (INGEST_BATCH_SIZE, INGEST_CONCURRENCY) of the consumer first, then a larger setting. */
const rawSettings = [
  { batchSize: 16, concurrency: 2 },
  { batchSize: 32, concurrency: 3 },
];
const log = (m: string) => process.stderr.write(`[ingestion] ${m}\n`);

interface Doc {
  id: string;
  title: string;
  text: string;
}

async function main(): Promise<void> {
  const docs: Doc[] = readFileSync(join(args.dataset, 'corpus.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, Number(args.documents))
    .map((l) => {
      const r = JSON.parse(l) as { _id: string; title: string; text: string };
      return { id: r._id, title: r.title, text: r.text };
    });
  const stack = await startSearchStack('ingestion');
  const encoder = new encoderV1.EncoderServiceClient(stack.encoderAddress, credentials.createInsecure());
  try {
    const rawWith = async (texts: string[], { batchSize, concurrency }: { batchSize: number; concurrency: number }) => {
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < texts.length) {
            const batch = texts.slice(next, (next += batchSize));
            await callUnary(encoder.embed.bind(encoder), { model: '', inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts: batch }, { deadlineMs: 300_000 });
          }
        }),
      );
      return texts.length / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    const raw = async (texts: string[]) => {
      const rates = [];
      for (const setting of rawSettings) rates.push({ ...setting, documentsPerSecond: round(await rawWith(texts, setting), 1) });
      return rates;
    };
    const best = (rates: Array<{ documentsPerSecond: number }>) => Math.max(...rates.map((r) => r.documentsPerSecond));
    const texts = docs.map(embeddingText);
    log('warming up the encoder');
    await rawWith(texts.slice(0, 64), rawSettings[0]!);
    log(`raw encoder: ${docs.length} documents`);
    const rawBefore = await raw(texts);
    log(`raw encoder: ${JSON.stringify(rawBefore)}`);

    const collection = `bench-ingestion-${Date.now()}`;
    const created = await graphql(stack.retrievalUrl, `mutation($n: String!) { createCollection(input: { name: $n }) { name } }`, { n: collection });
    if (created.errors) throw new Error(JSON.stringify(created.errors));
    const started = process.hrtime.bigint();
    const jobs: string[] = [];
    for (let i = 0; i < docs.length; i += 500) {
      const res = await graphql<{ ingestDocuments: { id: string } }>(
        stack.retrievalUrl,
        `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id } }`,
        { c: collection, d: docs.slice(i, i + 500) },
      );
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      jobs.push(res.data!.ingestDocuments.id);
    }
    let processed = 0;
    let failed = 0;
    for (;;) {
      const states = await Promise.all(
        jobs.map(async (id) => (await graphql<{ ingestionJob: { status: string; processed: number; failed: number } }>(stack.retrievalUrl, `query($id: ID!) { ingestionJob(id: $id) { status processed failed } }`, { id })).data!.ingestionJob),
      );
      processed = states.reduce((s, j) => s + j.processed, 0);
      failed = states.reduce((s, j) => s + j.failed, 0);
      if (states.every((j) => j.status === 'COMPLETED')) break;
      await sleep(200);
    }
    const pipeline = docs.length / (Number(process.hrtime.bigint() - started) / 1e9);
    log(`pipeline: ${pipeline.toFixed(1)} documents/s (${processed} indexed, ${failed} failed)`);
    const rawAfter = await raw(texts);
    log(`raw encoder again: ${JSON.stringify(rawAfter)}`);
    const rawMean = (best(rawBefore) + best(rawAfter)) / 2;
    const result = {
      benchmark: 'ingestion-throughput',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      inputs: {
        dataset: `${args.dataset} (first ${docs.length} documents, "title text" as the consumer embeds them)`,
        model: 'all-minilm-l6-v2-q (the encoder default)',
        consumer: 'INGEST_BATCH_SIZE 16, INGEST_CONCURRENCY 2 (the defaults)',
      },
      rawEncoderDocumentsPerSecond: { before: rawBefore, after: rawAfter, bestMean: round(rawMean, 1) },
      pipelineDocumentsPerSecond: round(pipeline, 1),
      indexed: processed,
      failed,
      ratio: round(pipeline / rawMean, 3),
      target: 'pipeline >= 0.9 x raw encoder',
      met: pipeline / rawMean >= 0.9,
    };
    writeFileSync(join(repoRoot, 'bench', 'results', 'ingestion-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    encoder.close();
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
