// The generation service's own metrics, on the runtime's registry. Labels are bounded: configured
// model and backend names, statuses.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Logger, Metrics } from '@llmops/platform';
import type { GenerationObserver } from './domain/generation-service';
import type { Generation } from './domain/model';

export function createGenerationMetrics(metrics: Metrics, logger: Logger) {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: 'generation_requests_total',
    help: 'Recorded generations, by model, backend and status.',
    labelNames: ['model', 'backend', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'generation_duration_seconds',
    help: 'Time from request to the last token (rendering and queueing included), by model and status.',
    labelNames: ['model', 'status'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  });
  const ttft = new Histogram({
    name: 'generation_time_to_first_token_seconds',
    help: 'Time from request to the first output text, by model.',
    labelNames: ['model'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers,
  });
  const tokens = new Counter({
    name: 'generation_tokens_total',
    help: 'Tokens by model and kind (prompt, completion).',
    labelNames: ['model', 'kind'] as const,
    registers,
  });
  const recordFailures = new Counter({
    name: 'generation_record_failures_total',
    help: 'Generations that could not be written to PostgreSQL.',
    registers,
  });
  const sessionAppendFailures = new Counter({
    name: 'generation_session_append_failures_total',
    help: 'Succeeded generations whose exchange could not be appended to their session.',
    registers,
  });
  const sequencesInUse = new Gauge({ name: 'generation_embedded_sequences_in_use', help: 'Embedded model sequences generating now.', registers });
  const queueWaiting = new Gauge({ name: 'generation_embedded_queue_waiting', help: 'Embedded requests waiting for a sequence.', registers });

  const observer: GenerationObserver = {
    completed(g: Generation) {
      const model = g.model ?? 'none';
      requests.inc({ model, backend: g.backend ?? 'none', status: g.status });
      duration.observe({ model, status: g.status }, g.latencyMs / 1000);
      if (g.timeToFirstTokenMs !== null) ttft.observe({ model }, g.timeToFirstTokenMs / 1000);
      if (g.promptTokens !== null) tokens.inc({ model, kind: 'prompt' }, g.promptTokens);
      if (g.completionTokens !== null) tokens.inc({ model, kind: 'completion' }, g.completionTokens);
    },
    recordFailed(g: Generation, err: unknown) {
      recordFailures.inc();
      logger.error({ err, generationId: g.id, status: g.status }, 'could not record a generation');
    },
    sessionAppendFailed(g: Generation, sessionId: string, err: unknown) {
      sessionAppendFailures.inc();
      logger.error({ err, generationId: g.id, sessionId }, 'could not append a generation to its session');
    },
  };
  return {
    observer,
    onQueueChange: (inUse: number, waiting: number) => {
      sequencesInUse.set(inUse);
      queueWaiting.set(waiting);
    },
  };
}
