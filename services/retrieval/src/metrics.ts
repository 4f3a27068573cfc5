// Retrieval's own metrics, on the runtime's registry. Labels are bounded: search modes and outcomes.
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@llmops/platform';
import type { SearchMode } from './domain/model';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createRetrievalMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const searchDuration = new Histogram({
    name: 'retrieval_search_duration_seconds',
    help: 'Searches from validation to ranked hits (query embedding included), by mode and outcome.',
    labelNames: ['mode', 'outcome'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const documents = new Counter({
    name: 'retrieval_ingested_documents_total',
    help: 'Queued documents handled by the ingestion consumer, by outcome (indexed, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const batchDuration = new Histogram({
    name: 'retrieval_ingest_batch_duration_seconds',
    help: 'One ingestion batch: embedding, indexing and recording outcomes (retries included).',
    buckets: latencyBuckets,
    registers,
  });
  const retries = new Counter({
    name: 'retrieval_ingest_retries_total',
    help: 'Ingestion batches retried because a dependency was unavailable, by dependency.',
    labelNames: ['dependency'] as const,
    registers,
  });
  return {
    timeSearch: (mode: SearchMode) => {
      const end = searchDuration.startTimer({ mode });
      return (ok: boolean) => end({ outcome: ok ? 'ok' : 'error' });
    },
    documents,
    batchDuration,
    retries,
  };
}

export type RetrievalMetrics = ReturnType<typeof createRetrievalMetrics>;
