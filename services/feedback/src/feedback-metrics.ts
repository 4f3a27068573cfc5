// The feedback service's own metrics, on the runtime's registry. Labels are bounded: the kind of
// feedback, its outcome, and prompt names (never ids or users).
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@llmops/platform';
import type { FeedbackObserver } from './domain/feedback/ports';

export function createFeedbackMetrics(metrics: Metrics, scale: { min: number; max: number }): FeedbackObserver {
  const registers = [metrics.registry];
  const submitted = new Counter({
    name: 'feedback_submitted_total',
    help: 'Feedback submitted through the API, by kind (score, thumbs) and outcome (accepted, duplicate, rejected).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const step = (scale.max - scale.min) / 10;
  const score = new Histogram({
    name: 'feedback_score',
    help: 'Scores applied (each feedback once), by prompt name ("none" for inline templates).',
    labelNames: ['prompt'] as const,
    buckets: Array.from({ length: 10 }, (_, i) => Math.round((scale.min + step * (i + 1)) * 1000) / 1000),
    registers,
  });
  const thumbs = new Counter({
    name: 'feedback_thumbs_total',
    help: 'Thumbs applied (each feedback once), by prompt name and direction (up, down).',
    labelNames: ['prompt', 'direction'] as const,
    registers,
  });
  return {
    submitted: (kind, outcome, count) => submitted.inc({ kind, outcome }, count),
    applied: (entries) => {
      for (const e of entries) {
        const prompt = e.promptName ?? 'none';
        if (e.score !== null) score.observe({ prompt }, e.score);
        else if (e.thumbs !== null) thumbs.inc({ prompt, direction: e.thumbs === 'UP' ? 'up' : 'down' });
      }
    },
  };
}
