// How the CLIs (and bench:ingestion) wait for ingestion jobs: rarely while far from done, soon
// near the end. Jobs that progress on a virtual clock stand in for the retrieval service.
import { defaultPollTiming, nextPollDelayMs, waitForJobs } from '../src/cli/job-polling';
import type { JobStatus } from '../src/cli/retrieval-client';

test('the next read waits half the expected remaining time less the counts\' lag, within 100 ms and 1 s', () => {
  expect(nextPollDelayMs(400, null)).toBe(1_000);
  expect(nextPollDelayMs(400, 0)).toBe(1_000);
  expect(nextPollDelayMs(400, 50)).toBe(1_000);
  expect(nextPollDelayMs(100, 50)).toBe(500);
  expect(nextPollDelayMs(70, 50)).toBe(200);
  expect(nextPollDelayMs(50, 50)).toBe(100);
  expect(nextPollDelayMs(0, 50)).toBe(100);
  expect(nextPollDelayMs(20, 50, { maxMs: 1_000, minMs: 10, countsLagMs: 0 })).toBe(200);
  expect(nextPollDelayMs(100, 50, { maxMs: 150, minMs: 10, countsLagMs: 0 })).toBe(150);
});

/**
 * Jobs that each index `perSecond` documents from `startsAt` on, in chunks of `chunk`, on a
 * virtual clock. Like the service, a read counts the outcomes of Elasticsearch's last refresh (one
 * every second) and the last ones at once (the consumer refreshes when it catches up).
 */
function virtualJobs(specs: Array<{ id: string; submitted: number; startsAt: number; failEvery?: number }>, perSecond: number, chunk = 32) {
  let now = 0;
  const reads: Array<{ id: string; at: number }> = [];
  const doneAt = (s: (typeof specs)[number]) => s.startsAt + (1000 * s.submitted) / perSecond;
  const client = {
    job: async (id: string): Promise<JobStatus> => {
      reads.push({ id, at: now });
      const s = specs.find((x) => x.id === id)!;
      const refreshedAt = Math.floor(now / 1000) * 1000;
      const indexed = Math.min(s.submitted, Math.floor(((Math.max(0, refreshedAt - s.startsAt) / 1000) * perSecond) / chunk) * chunk);
      const done = now >= doneAt(s) ? s.submitted : indexed;
      const failed = s.failEvery ? Math.floor(done / s.failEvery) : 0;
      return { id, submitted: s.submitted, processed: done - failed, failed, status: done === s.submitted ? 'COMPLETED' : done ? 'RUNNING' : 'QUEUED', failures: [] };
    },
  };
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  return { client, clock, reads, now: () => now, doneAt };
}

test('a job read about once a second while far from done is seen COMPLETED within 200 ms of its end', async () => {
  const job = { id: 'j1', submitted: 900, startsAt: 800 };
  const v = virtualJobs([job], 50);
  const progress: number[] = [];
  const [last] = await waitForJobs(v.client, ['j1'], { clock: v.clock, onProgress: (p, f) => progress.push(p + f) });
  expect(last).toMatchObject({ status: 'COMPLETED', processed: 900, failed: 0 });
  expect(v.now()).toBeGreaterThanOrEqual(v.doneAt(job));
  // Within two of the shortest waits: the counts step by 32-document chunks (0.64 s here) on top
  // of the refresh's second. (Ignoring that lag, the reads saw the end 0.7 s late.)
  expect(v.now() - v.doneAt(job)).toBeLessThanOrEqual(2 * defaultPollTiming.minMs);
  // 18.8 s of work: one read a second for most of it, a few more near the end; polling every
  // 250 ms would have taken 76.
  expect(v.reads.length).toBeGreaterThan(19);
  expect(v.reads.length).toBeLessThan(30);
  const gaps = v.reads.slice(1).map((r, i) => r.at - v.reads[i]!.at);
  expect(Math.max(...gaps)).toBe(defaultPollTiming.maxMs);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(defaultPollTiming.minMs);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(progress.at(-1)).toBe(900);
});

test('several jobs: a finished one is not read again, the counts are summed, failures included', async () => {
  const v = virtualJobs(
    [
      { id: 'a', submitted: 500, startsAt: 0, failEvery: 100 },
      { id: 'b', submitted: 400, startsAt: 10_000 },
    ],
    50,
  );
  const seen: Array<[number, number]> = [];
  const jobs = await waitForJobs(v.client, ['a', 'b'], { clock: v.clock, onProgress: (p, f) => seen.push([p, f]) });
  expect(jobs.map((j) => [j.id, j.processed, j.failed])).toEqual([
    ['a', 495, 5],
    ['b', 400, 0],
  ]);
  expect(seen.at(-1)).toEqual([895, 5]);
  // 'a' ends at 10 s and is read no more once seen COMPLETED; 'b' is read until it ends at 18 s.
  const readsOf = (id: string) => v.reads.filter((r) => r.id === id).map((r) => r.at);
  expect(Math.max(...readsOf('a'))).toBeGreaterThanOrEqual(10_000);
  expect(Math.max(...readsOf('a'))).toBeLessThanOrEqual(10_000 + defaultPollTiming.maxMs);
  expect(Math.max(...readsOf('b'))).toBeGreaterThanOrEqual(18_000);
  expect(readsOf('b').filter((at) => at > Math.max(...readsOf('a'))).length).toBeGreaterThan(7);
});

test('an aborted wait rejects with the signal\'s reason and reads no more', async () => {
  const v = virtualJobs([{ id: 'slow', submitted: 900, startsAt: 0 }], 1);
  const controller = new AbortController();
  const clock = {
    now: v.clock.now,
    sleep: async (ms: number) => {
      await v.clock.sleep(ms);
      if (v.now() >= 5_000) controller.abort(new Error('gave up after 5 s'));
    },
  };
  await expect(waitForJobs(v.client, ['slow'], { clock, signal: controller.signal })).rejects.toThrow('gave up after 5 s');
  expect(v.reads.every((r) => r.at <= 5_000)).toBe(true);
  expect(v.reads.length).toBeGreaterThan(3);
});
