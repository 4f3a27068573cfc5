// Ingestion jobs in two Elasticsearch indices: the jobs themselves, and one outcome per (job,
// document) whose id is derived from both, so a redelivered document overwrites its own outcome
// instead of being counted twice. Counts are aggregated at read time (no scripted counters).
// A job itself never changes once recorded (its project, collection and size), so each instance
// keeps the jobs it recorded or read: a status poll is then one request, the outcomes' counts.
// A job belongs to one project (`project_id`; jobs recorded before projects existed have none and
// belong to the default project): another project's job reads as missing.
import type { Client } from '@elastic/elasticsearch';
import type { IngestionJob, IngestionStatus, NewIngestionJob } from '../domain/model';
import type { IngestionJobStore } from '../domain/ports';
import { UnavailableError, defaultProjectId } from '@llmops/platform';
import { esErrorType, guardEs } from './es-errors';

interface JobSource {
  /** Absent on jobs recorded before projects existed: the default project's. */
  project_id?: string;
  collection: string;
  submitted: number;
  created_at: string;
}

interface OutcomeSource {
  job_id: string;
  collection: string;
  document_id: string;
  ok: boolean;
  reason: string | null;
  at: string;
}

/** The index of the jobs' per-document outcomes, beside the jobs' own. */
export const outcomesIndexOf = (jobsIndex: string) => `${jobsIndex}-outcomes`;

/** Jobs kept in memory per instance (the most recently recorded or first read). */
const maxKnownJobs = 10_000;

export class EsIngestionJobs implements IngestionJobStore {
  private readonly outcomes: string;
  private readonly known = new Map<string, JobSource>();

  constructor(
    private readonly es: Client,
    private readonly jobs: string,
  ) {
    this.outcomes = outcomesIndexOf(jobs);
  }

  /** Creates the two indices when missing (at start, once Elasticsearch is up). */
  ensureIndices(): Promise<void> {
    return guardEs(async () => {
      const settings = { number_of_shards: 1, number_of_replicas: 0 };
      const create = async (index: string, properties: Record<string, { type: 'keyword' | 'integer' | 'date' | 'boolean' | 'text' }>) => {
        // An index from before a field was added gets it (adding a field to a mapping is idempotent).
        if (await this.es.indices.exists({ index })) {
          await this.es.indices.putMapping({ index, properties });
          return;
        }
        await this.es.indices.create({ index, settings, mappings: { dynamic: 'strict', properties } }).catch((err: unknown) => {
          if (esErrorType(err) !== 'resource_already_exists_exception') throw err;
        });
      };
      await create(this.jobs, { project_id: { type: 'keyword' }, collection: { type: 'keyword' }, submitted: { type: 'integer' }, created_at: { type: 'date' } });
      await create(this.outcomes, {
        job_id: { type: 'keyword' },
        collection: { type: 'keyword' },
        document_id: { type: 'keyword' },
        ok: { type: 'boolean' },
        reason: { type: 'text' },
        at: { type: 'date' },
      });
    });
  }

  create(job: NewIngestionJob): Promise<void> {
    return guardEs(async () => {
      const source: JobSource = { project_id: job.projectId, collection: job.collection, submitted: job.submitted, created_at: job.createdAt.toISOString() };
      await this.es.index<JobSource>({ index: this.jobs, id: job.id, document: source, refresh: false });
      this.remember(job.id, source);
    });
  }

  delete(id: string): Promise<void> {
    return guardEs(async () => {
      this.known.delete(id);
      await this.es.delete({ index: this.jobs, id }, { ignore: [404] });
    });
  }

  get(projectId: string, id: string, maxFailures: number): Promise<IngestionJob | null> {
    return guardEs(async () => {
      const job = this.known.get(id) ?? (await this.read(id));
      if (!job || (job.project_id ?? defaultProjectId) !== projectId) return null;
      const counts = await this.es.search<OutcomeSource>({
        index: this.outcomes,
        size: 0,
        query: { term: { job_id: id } },
        aggs: { by_outcome: { terms: { field: 'ok', size: 2 } } },
      });
      const buckets = (counts.aggregations?.['by_outcome'] as { buckets: Array<{ key_as_string?: string; key: number | string; doc_count: number }> } | undefined)?.buckets ?? [];
      const count = (ok: boolean) => buckets.find((b) => String(b.key_as_string ?? b.key) === String(ok) || b.key === (ok ? 1 : 0))?.doc_count ?? 0;
      const processed = count(true);
      const failed = count(false);
      const failures =
        failed > 0 && maxFailures > 0
          ? (
              await this.es.search<OutcomeSource>({
                index: this.outcomes,
                size: maxFailures,
                query: { bool: { filter: [{ term: { job_id: id } }, { term: { ok: false } }] } },
                sort: [{ document_id: 'asc' }],
              })
            ).hits.hits.map((h) => ({ documentId: h._source!.document_id, reason: h._source!.reason ?? '' }))
          : [];
      const { submitted } = job;
      const status: IngestionStatus = processed + failed >= submitted ? 'COMPLETED' : processed + failed > 0 ? 'RUNNING' : 'QUEUED';
      return { id, projectId, collection: job.collection, submitted, processed, failed, status, createdAt: new Date(job.created_at), failures };
    });
  }

  private async read(id: string): Promise<JobSource | null> {
    const job = await this.es.get<JobSource>({ index: this.jobs, id }, { ignore: [404] });
    if (!job.found || !job._source) return null;
    this.remember(id, job._source);
    return job._source;
  }

  private remember(id: string, job: JobSource): void {
    this.known.set(id, job);
    if (this.known.size > maxKnownJobs) this.known.delete(this.known.keys().next().value!);
  }

  publishOutcomes(): Promise<void> {
    return guardEs(async () => {
      await this.es.indices.refresh({ index: this.outcomes });
    });
  }

  recordOutcomes(outcomes: Array<{ jobId: string; collection: string; documentId: string; ok: boolean; reason: string | null }>): Promise<void> {
    if (outcomes.length === 0) return Promise.resolve();
    return guardEs(async () => {
      const at = new Date().toISOString();
      const res = await this.es.bulk({
        operations: outcomes.flatMap((o) => [
          { index: { _index: this.outcomes, _id: `${o.jobId}/${o.documentId}` } },
          { job_id: o.jobId, collection: o.collection, document_id: o.documentId, ok: o.ok, reason: o.reason, at } satisfies OutcomeSource,
        ]),
      });
      if (res.errors) {
        const first = res.items.find((i) => i.index?.error)?.index?.error;
        // Outcomes have a fixed shape: a refusal is Elasticsearch being unwell, and the batch is retried.
        throw new UnavailableError('elasticsearch', { cause: new Error(`recording ingestion outcomes: ${first?.reason ?? first?.type}`) });
      }
    });
  }
}
