// Evaluates a search mode on any folder in the BEIR layout (corpus.jsonl, queries.jsonl,
// qrels/<split>.tsv): ingests the corpus into a fresh collection through the API (progress on
// stderr), runs every judged query, and prints as its last line one JSON object with ndcg@10,
// recall@100, mrr@10 and queries. The stack must be running.
//   npm run eval:retrieval -- --dataset <folder> --mode keyword|vector|hybrid|hyde
//     [--split test] [--model <embedding model>] [--endpoint http://127.0.0.1:4000/graphql]
//     [--keep] [--collection <existing collection: no ingestion>] [--concurrency 4]
//     [--max-queries <n>: only the first n judged queries, e.g. for HYDE on a CPU]
import { randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '@llmops/platform';
import { searchModes, type SearchMode } from '../domain/model';
import { rankingMetrics } from '../domain/ranking-metrics';
import { limits } from '../domain/validation';
import { readJudgedQueries, type BeirQuery } from './beir-folder';
import { ingestCorpus } from './ingest-corpus';
import { ProgressBar } from './progress-bar';
import { RetrievalClient } from './retrieval-client';

const usage =
  'usage: eval-retrieval --dataset <BEIR folder> --mode keyword|vector|hybrid|hyde [--split test] [--model <m>] [--endpoint <url>] [--keep] [--collection <name>] [--concurrency 4] [--max-queries <n>]';

runMain(async () => {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string' },
      mode: { type: 'string' },
      split: { type: 'string', default: 'test' },
      model: { type: 'string' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
      keep: { type: 'boolean', default: false },
      collection: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'max-queries': { type: 'string' },
    },
  });
  const mode = values.mode?.toUpperCase() as SearchMode | undefined;
  if (!values.dataset || !mode || !searchModes.includes(mode)) throw new Error(usage);
  const folder = resolve(values.dataset);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const maxQueries = values['max-queries'] === undefined ? Infinity : Number(values['max-queries']);
  if (!(maxQueries > 0)) throw new Error(usage);
  const queries = (await readJudgedQueries(folder, values.split)).slice(0, maxQueries);
  if (queries.length === 0) throw new Error(`no query of ${folder}/queries.jsonl has judgments in qrels/${values.split}.tsv`);
  const client = new RetrievalClient(values.endpoint);

  const started = Date.now();
  let collection = values.collection;
  let model: string;
  let ingestion: { documents: number; failed: number; skipped: number; seconds: number } | null = null;
  if (collection) {
    const existing = await client.collection(collection);
    if (!existing) throw new Error(`collection ${collection} does not exist`);
    model = existing.encoder.model;
    log(`evaluating existing collection ${collection} (${existing.documentCount} documents, ${model})`);
  } else {
    const stem = basename(folder).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 40) || 'dataset';
    collection = `eval-${stem}-${randomBytes(3).toString('hex')}`;
    model = (await client.createCollection(collection, values.model ?? null, `evaluation of ${folder}`)).model;
    log(`created collection ${collection} (${model})`);
    const report = await ingestCorpus(client, collection, folder);
    for (const s of report.skipped.slice(0, 10)) log(`skipped ${s.documentId}: ${s.reason}`);
    for (const f of report.failures.slice(0, 10)) log(`failed ${f.documentId}: ${f.reason}`);
    ingestion = { documents: report.documents, failed: report.failed, skipped: report.skipped.length, seconds: Number(report.seconds.toFixed(1)) };
  }

  try {
    const concurrency = Math.max(1, Number(values.concurrency));
    const relevant = queries.map((q) => q.relevant);
    const deep = rankingMetrics(await runQueries(client, collection, mode, queries, limits.maxK, concurrency), relevant);
    // HYBRID fuses lists as deep as k (at least HYBRID_DEPTH): the top 10 of a search for 100
    // is not what a search for 10 answers. nDCG@10 and MRR@10 are scored on the searches an
    // application makes (k = 10), recall@100 on the deep ones. Other modes rank the same top 10 at
    // any k (HYDE would also write its hypothetical documents twice).
    const metrics = mode === 'HYBRID' ? { ...rankingMetrics(await runQueries(client, collection, mode, queries, 10, concurrency), relevant), 'recall@100': deep['recall@100'] } : deep;
    process.stdout.write(
      `${JSON.stringify({
        dataset: folder,
        split: values.split,
        mode: mode.toLowerCase(),
        model,
        collection,
        ...(ingestion ? { ingestion } : {}),
        seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
        ...metrics,
      })}\n`,
    );
  } finally {
    if (!values.keep && !values.collection) await client.deleteCollection(collection).catch(() => undefined);
    else if (!values.collection) log(`kept collection ${collection}: evaluate other modes with --collection ${collection}`);
  }
});

/** Each query's top k document ids, with `concurrency` searches in flight. */
async function runQueries(client: RetrievalClient, collection: string, mode: SearchMode, queries: BeirQuery[], k: number, concurrency: number): Promise<string[][]> {
  const bar = new ProgressBar(`searching (${mode.toLowerCase()}, k = ${k}):`, queries.length);
  const ranked: string[][] = new Array(queries.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < queries.length) {
        const i = next++;
        const text = queries[i]!.text.slice(0, limits.query);
        ranked[i] = text.trim() ? (await client.search(collection, text, mode, k)).map((h) => h.id) : [];
        bar.update(++done);
      }
    }),
  );
  bar.finish(done);
  return ranked;
}
