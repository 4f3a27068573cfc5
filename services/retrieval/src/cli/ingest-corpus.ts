// Ingests a BEIR corpus through the GraphQL API: documents go out in calls of at most 500
// documents / 512 KiB (under the default 1 MiB request limit), then the jobs are polled
// (job-polling.ts) and a progress bar follows the indexed count. Documents the API would refuse
// (e.g. an empty text) are skipped and reported rather than failing their whole call.
import { InputError, retryWithBackoff } from '@llmops/platform';
import type { DocumentInput } from '../domain/model';
import { limits, validateDocument } from '../domain/validation';
import { countLines, readCorpus, requireBeirFile } from './beir-folder';
import { waitForJobs } from './job-polling';
import { ProgressBar } from './progress-bar';
import { GraphQLRequestError, type RetrievalClient } from './retrieval-client';

export interface IngestReport {
  documents: number;
  processed: number;
  failed: number;
  skipped: Array<{ documentId: string; reason: string }>;
  failures: Array<{ documentId: string; reason: string }>;
  seconds: number;
}

const maxCallBytes = 512 * 1024;
const maxCallDocuments = Math.min(500, limits.documentsPerCall);

export async function ingestCorpus(client: RetrievalClient, collection: string, folder: string): Promise<IngestReport> {
  const started = Date.now();
  const total = await countLines(requireBeirFile(folder, 'corpus.jsonl'));
  const bar = new ProgressBar(`ingesting into ${collection}:`, total);
  const jobs: string[] = [];
  const skipped: IngestReport['skipped'] = [];
  let chunk: DocumentInput[] = [];
  let ids = new Set<string>();
  let bytes = 0;
  const flush = async () => {
    if (!chunk.length) return;
    const documents = chunk;
    chunk = [];
    ids = new Set();
    bytes = 0;
    // The call is idempotent by document id: retrying one that failed midway is safe.
    jobs.push(
      await retryWithBackoff(() => client.ingest(collection, documents), {
        maxAttempts: 5,
        initialMs: 500,
        retryIf: (err) => err instanceof GraphQLRequestError && err.code === 'UNAVAILABLE',
      }),
    );
  };
  for await (const doc of readCorpus(folder)) {
    try {
      validateDocument(doc, 'document');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      skipped.push({ documentId: doc.id, reason: err.message });
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    if (chunk.length >= maxCallDocuments || bytes + size > maxCallBytes || ids.has(doc.id)) await flush();
    chunk.push(doc);
    ids.add(doc.id);
    bytes += size;
  }
  await flush();

  const accepted = total - skipped.length;
  const finished = await waitForJobs(client, jobs, { onProgress: (processed, failed) => bar.update(processed + failed, failed ? `(${failed} failed)` : '') });
  const processed = finished.reduce((s, j) => s + j.processed, 0);
  const failed = finished.reduce((s, j) => s + j.failed, 0);
  bar.finish(processed + failed, `indexed ${processed} of ${accepted}${failed ? `, ${failed} failed` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}`);
  const failures = failed ? (await Promise.all(jobs.map((id) => client.job(id, 100)))).flatMap((j) => j.failures) : [];
  return { documents: total, processed, failed, skipped, failures, seconds: (Date.now() - started) / 1000 };
}
