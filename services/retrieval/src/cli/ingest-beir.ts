// Ingests the corpus of a folder in the BEIR layout (corpus.jsonl) into a collection, with a
// progress bar. The stack must be running.
//   node services/retrieval/dist/cli/ingest-beir.js --folder <dir> --collection <name>
//     [--create [--model <embedding model>]] [--endpoint http://127.0.0.1:4000/graphql]
import { parseArgs } from 'node:util';
import { runMain } from '@llmops/platform';
import { ingestCorpus } from './ingest-corpus';
import { RetrievalClient } from './retrieval-client';

runMain(async () => {
  const { values } = parseArgs({
    options: {
      folder: { type: 'string' },
      collection: { type: 'string' },
      create: { type: 'boolean', default: false },
      model: { type: 'string' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
    },
  });
  if (!values.folder || !values.collection) throw new Error('usage: ingest-beir --folder <dir> --collection <name> [--create [--model <m>]] [--endpoint <url>]');
  const client = new RetrievalClient(values.endpoint);
  if (values.create) await client.createCollection(values.collection, values.model ?? null, `BEIR corpus of ${values.folder}`);
  const report = await ingestCorpus(client, values.collection, values.folder);
  for (const s of report.skipped.slice(0, 20)) process.stderr.write(`skipped ${s.documentId}: ${s.reason}\n`);
  for (const f of report.failures.slice(0, 20)) process.stderr.write(`failed ${f.documentId}: ${f.reason}\n`);
  process.stdout.write(
    `${JSON.stringify({ collection: values.collection, documents: report.documents, processed: report.processed, failed: report.failed, skipped: report.skipped.length, seconds: Number(report.seconds.toFixed(1)) })}\n`,
  );
  if (report.failed || report.skipped.length) process.exitCode = 2;
});
