// Offline ingestion, the submitting side: a call is validated as a whole (nothing is queued when
// any document is bad), recorded as a job and queued document by document; the indexer reports
// each document's outcome against the job. Documents are written without waiting for them to be
// searchable; a job reads COMPLETED only once they are.
import { randomUUID } from 'node:crypto';
import { InputError } from '@llmops/platform';
import type { DocumentInput, IngestionJob } from './model';
import type { DocumentIndex, IngestionJobStore, IngestQueue } from './ports';
import type { CollectionService } from './collections';
import { UnknownReferenceError } from './errors';
import { validateDocuments } from './validation';

export const maxReportedFailures = 100;

export class IngestionService {
  constructor(
    private readonly collections: CollectionService,
    private readonly jobs: IngestionJobStore,
    private readonly queue: IngestQueue,
    private readonly documents: DocumentIndex,
    private readonly newId: () => string = randomUUID,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Queues documents for the project's collection; the job and its events carry the project. */
  async ingest(projectId: string, collection: string, documents: DocumentInput[]): Promise<IngestionJob> {
    validateDocuments(documents);
    await this.collections.get(projectId, collection, 'collection');
    const job = { id: this.newId(), projectId, collection, submitted: documents.length, createdAt: this.now() };
    await this.jobs.create(job);
    try {
      await this.queue.publish(documents.map((d) => ({ ...d, jobId: job.id, projectId, collection })));
    } catch (err) {
      // Nothing (or not all) was queued: the caller retries the whole call, which is idempotent by document id.
      await this.jobs.delete(job.id).catch(() => undefined);
      throw err;
    }
    return { ...job, processed: 0, failed: 0, status: 'QUEUED', failures: [] };
  }

  /** The project's job; another project's is NOT_FOUND. */
  async job(projectId: string, id: string, maxFailures = 20): Promise<IngestionJob> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new InputError('id: not an ingestion job id', 'id');
    if (!Number.isInteger(maxFailures) || maxFailures < 0 || maxFailures > maxReportedFailures) {
      throw new InputError(`first: must be between 0 and ${maxReportedFailures}`, 'first');
    }
    const job = await this.jobs.get(projectId, id, maxFailures);
    if (!job) throw new UnknownReferenceError('IngestionJob', id, 'id');
    if (job.status === 'COMPLETED' && job.processed > 0) {
      // What a finished job indexed can be searched once it says COMPLETED. (A collection deleted
      // since has nothing to make searchable; the job's counts stand.)
      await this.documents.makeSearchable({ projectId, name: job.collection }).catch((err: unknown) => {
        if (!(err instanceof UnknownReferenceError)) throw err;
      });
    }
    return job;
  }
}
