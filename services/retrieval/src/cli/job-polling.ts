// How a client waits for ingestion jobs. Each status read costs the retrieval service a GraphQL
// request and Elasticsearch a search of the job outcomes: while two vCPUs ingested, reading a job
// every 250 ms instead of every second took 0.04-0.05 of a core more (bench:ingestion, rounds of
// each), CPU the encoder beside them lacked. So jobs are read at most once a second while far
// from done, and sooner as they near their end (after half the time their remaining documents
// should take at the rate seen so far, less the second by which the counts may lag): at a steady
// rate the end is seen within 100 ms.
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobStatus, RetrievalClient } from './retrieval-client';

export interface PollTiming {
  /** The longest wait between two reads (default 1 s). */
  maxMs: number;
  /** The shortest wait between two reads (default 100 ms). */
  minMs: number;
  /**
   * How old the counts a read returns may be (default 1 s: outcomes count from Elasticsearch's
   * next refresh, once a second, and the last ones at once), so how much sooner than they say the
   * job may end.
   */
  countsLagMs: number;
}

export const defaultPollTiming: PollTiming = { maxMs: 1_000, minMs: 100, countsLagMs: 1_000 };

/**
 * How long to wait before the next read: half the time the `remaining` documents should take at
 * `perSecond` (null while no progress has been seen), less the counts' lag, within the bounds.
 */
export function nextPollDelayMs(remaining: number, perSecond: number | null, timing: PollTiming = defaultPollTiming): number {
  if (perSecond === null || perSecond <= 0) return timing.maxMs;
  const endsInMs = (1000 * remaining) / perSecond - timing.countsLagMs;
  return Math.min(timing.maxMs, Math.max(timing.minMs, endsInMs / 2));
}

export interface WaitOptions {
  /** Told the documents processed and failed so far over all the jobs, after every round of reads. */
  onProgress?: (processed: number, failed: number) => void;
  timing?: PollTiming;
  /** Gives up (rejecting with its reason) once aborted, e.g. AbortSignal.timeout(ms). */
  signal?: AbortSignal;
  /** Time and waiting (tests run them on a virtual clock). */
  clock?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<unknown> };
}

const realClock = { now: () => Date.now(), sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }) };

/** Reads every unfinished job until all are COMPLETED; returns each job's last status. */
export async function waitForJobs(client: Pick<RetrievalClient, 'job'>, ids: string[], options: WaitOptions = {}): Promise<JobStatus[]> {
  const { onProgress = () => {}, timing = defaultPollTiming, clock = realClock, signal } = options;
  const last = new Map<string, JobStatus>();
  let first: { at: number; done: number } | null = null;
  for (;;) {
    signal?.throwIfAborted();
    for (const id of ids) if (last.get(id)?.status !== 'COMPLETED') last.set(id, await client.job(id));
    const jobs = ids.map((id) => last.get(id)!);
    const processed = jobs.reduce((s, j) => s + j.processed, 0);
    const failed = jobs.reduce((s, j) => s + j.failed, 0);
    onProgress(processed, failed);
    if (jobs.every((j) => j.status === 'COMPLETED')) return jobs;
    const now = clock.now();
    const done = processed + failed;
    first ??= { at: now, done };
    const perSecond = done > first.done ? (1000 * (done - first.done)) / (now - first.at) : null;
    const remaining = jobs.reduce((s, j) => s + j.submitted, 0) - done;
    await clock.sleep(nextPollDelayMs(remaining, perSecond, timing), signal);
  }
}
