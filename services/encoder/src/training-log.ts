// Logs an adapter training job's progress: every phase change and at most one line per interval.
import type { Logger } from '@llmops/platform';
import type { TrainingJob } from './domain/training-jobs';

export function trainingProgressLogger(logger: Logger, intervalMs = 2_000): (job: TrainingJob) => void {
  const last = new Map<string, { phase: string; at: number }>();
  return (job) => {
    const now = Date.now();
    const prev = last.get(job.id);
    if (prev && prev.phase === job.phase && job.status === 'RUNNING' && now - prev.at < intervalMs) return;
    last.set(job.id, { phase: job.phase, at: now });
    if (job.status !== 'RUNNING') last.delete(job.id);
    const fields = { job: job.id, adapter: job.adapterName, status: job.status, phase: job.phase, progress: Number(job.progress.toFixed(3)) };
    if (job.status === 'FAILED') logger.error({ ...fields, error: job.error }, 'adapter training failed');
    else logger.info({ ...fields, validation: job.validation ?? undefined }, job.message);
  };
}
