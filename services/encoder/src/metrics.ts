// The encoder's own metrics, on the runtime's registry. Labels are bounded: configured model
// names and the two input types.
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@llmops/platform';
import type { InputType } from './domain/embedding-model';
import type { EmbedResult, EmbeddingObserver } from './domain/embedding-service';
import type { BatchStats } from './domain/micro-batcher';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createEncoderMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const batchSize = new Histogram({
    name: 'embedding_batch_size',
    help: 'Inputs per model run (after dynamic micro-batching), by base model.',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers,
  });
  const batchTokens = new Histogram({
    name: 'embedding_batch_padded_tokens',
    help: 'Padded tokens (rows x longest input) per model run, by base model.',
    labelNames: ['model'] as const,
    buckets: [64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536],
    registers,
  });
  const batchDuration = new Histogram({
    name: 'embedding_batch_duration_seconds',
    help: 'Duration of one model run, by base model.',
    labelNames: ['model'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'embedding_request_duration_seconds',
    help: 'Embedding requests from validation to vectors (queueing included), by embedding model and input type.',
    labelNames: ['model', 'input_type'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const inputs = new Counter({
    name: 'embedding_inputs_total',
    help: 'Texts embedded, by embedding model and whether they were truncated to the model maximum.',
    labelNames: ['model', 'truncated'] as const,
    registers,
  });
  const observer: EmbeddingObserver = {
    request(model: string, inputType: InputType, seconds: number, result: EmbedResult) {
      requestDuration.observe({ model, input_type: inputType }, seconds);
      const cut = result.truncated.filter(Boolean).length;
      if (cut > 0) inputs.inc({ model, truncated: 'true' }, cut);
      inputs.inc({ model, truncated: 'false' }, result.truncated.length - cut);
    },
  };
  return {
    observer,
    onBatch(model: string, stats: BatchStats) {
      batchSize.observe({ model }, stats.size);
      batchTokens.observe({ model }, stats.paddedTokens);
      batchDuration.observe({ model }, stats.seconds);
    },
  };
}
