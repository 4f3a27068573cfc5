// Feedback throughput end to end: submitFeedbackBatch through the gateway -> feedback service
// (validation, generation lookup) -> feedback.submitted.v1 -> the service's batch consumer ->
// PostgreSQL (feedback rows and per-version minute aggregates). Starts the real stack, records a
// few real generations (embedded model, 4 tokens each) and, after a warm-up, submits --events
// feedback in batches of --batch with --concurrency mutations in flight. The clock runs from the
// first mutation until the aggregates count every event; then zero loss is checked (every id sent
// is stored once, and the aggregates add up to exactly the rows), and a resubmission of 5 % of the
// ids must change nothing. The measured run is repeated --rounds times on the same stack (this
// machine is shared, and single runs swing with what else runs on it); the median round is the
// result, with the CPU each component used per round. Target: >= 5,000 events/s.
//   npm run bench:feedback -- [--events 100000] [--batch 500] [--concurrency 4] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { graphql, processTreeCpuSeconds, startLocalPlatform, testInfraPorts, testPorts } from '@llmops/testkit';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
    generations: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
});
const events = Number(args.events);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const generationCount = Number(args.generations);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const target = 5_000;
// BENCH_NODE_OPTIONS (e.g. "--require $PWD/bench/cpu-profile.cjs"; Node refuses --cpu-prof there)
// is handed to every program as NODE_OPTIONS, with CPUPROF_DIR and CPUPROF_PROGRAMS, to profile
// where the stack's CPU goes.
const benchNodeOptions: Record<string, string> = process.env.BENCH_NODE_OPTIONS
  ? {
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS,
      ...Object.fromEntries(['CPUPROF_DIR', 'CPUPROF_PROGRAMS'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : []))),
    }
  : {};
const repoRoot = join(__dirname, '..');
const log = (m: string) => process.stderr.write(`[feedback] ${m}\n`);
const round1 = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

interface Input {
  id: string;
  generationId: string;
  score?: number;
  thumbs?: 'UP' | 'DOWN';
  comment?: string;
  labels: string[];
  user: string;
}

const SUBMIT = `mutation($inputs: [FeedbackInput!]!) { submitFeedbackBatch(inputs: $inputs) { id } }`;

async function main(): Promise<void> {
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  const runDir = mkdtempSync(join(repoRoot, '.run', 'bench-feedback-'));
  log(`starting the stack (${runDir})`);
  const platform = await startLocalPlatform({ repoRoot, runDir, infraPorts: testInfraPorts, ports: testPorts, env: { LOG_LEVEL: 'warn', ...benchNodeOptions }, onProgress: log });
  const db = new Client({ connectionString: platform.infra.postgres.databaseUrl });
  await db.connect();
  const gql = async <T>(query: string, variables: Record<string, unknown>) => {
    const res = await graphql<T>(platform.stack.gatewayUrl, query, variables);
    if (res.errors) throw new Error(JSON.stringify(res.errors).slice(0, 500));
    return res.data!;
  };
  try {
    const name = `bench/feedback-${randomUUID().slice(0, 8)}`;
    await gql(`mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
    const { createPromptVersion: version } = await gql<{ createPromptVersion: { id: string } }>(
      `mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`,
      { input: { promptName: name, template: 'Say hi to {{who}}.', modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 4 } } },
    );
    const generationIds: string[] = [];
    for (let i = 0; i < generationCount; i++) {
      const { generate } = await gql<{ generate: { id: string } }>(`mutation($input: GenerateInput!) { generate(input: $input) { id } }`, {
        input: { prompt: { name, version: 1 }, variables: { who: `user ${i}` } },
      });
      generationIds.push(generate.id);
    }
    log(`recorded ${generationIds.length} generations; waiting for the feedback service to learn of them`);
    for (;;) {
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM feedback.generation_facts WHERE generation_id = ANY($1::uuid[])', [generationIds]);
      if (Number(rows[0]!.n) === generationIds.length) break;
      await sleep(200);
    }

    let seq = 0;
    const makeInput = (): Input => {
      const i = seq++;
      const base = { id: randomUUID(), generationId: generationIds[i % generationIds.length]!, labels: [`l${i % 5}`], user: `u${i % 100}` };
      return i % 2 ? { ...base, score: 1 + (i % 5) } : { ...base, thumbs: i % 3 ? 'UP' : 'DOWN', comment: i % 7 ? undefined : 'a short comment' };
    };
    const aggregated = async () => {
      const { rows } = await db.query<{ n: string }>('SELECT coalesce(sum(feedback_count), 0) AS n FROM feedback.feedback_version_minutes WHERE prompt_version_id = $1', [version.id]);
      return Number(rows[0]!.n);
    };
    const submitAll = async (inputs: Input[], latencies: number[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < inputs.length) {
            const chunk = inputs.slice(next, (next += batchSize));
            const started = performance.now();
            const data = await gql<{ submitFeedbackBatch: Array<{ id: string }> }>(SUBMIT, { inputs: chunk });
            latencies.push(performance.now() - started);
            if (data.submitFeedbackBatch.length !== chunk.length) throw new Error('a batch answered fewer feedback than it was given');
          }
        }),
      );
    };
    const waitForAggregates = async (expected: number, what: string, timeoutMs = 600_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = Date.now();
      for (;;) {
        const n = await aggregated();
        if (n >= expected) return n;
        if (Date.now() > deadline) throw new Error(`${what}: aggregates counted ${n} of ${expected} after ${timeoutMs} ms`);
        if (Date.now() - last > 2_000) {
          log(`${what}: applied ${n} / ${expected}`);
          last = Date.now();
        }
        await sleep(50);
      }
    };

    log(`warm-up: ${warmup} events`);
    await submitAll(Array.from({ length: warmup }, makeInput), []);
    const before = await waitForAggregates(warmup, 'warm-up');

    const components = {
      gateway: platform.stack.program('gateway').process.pid,
      feedback: platform.stack.program('feedback').process.pid,
      kafka: platform.infra.kafka.pid,
      postgres: platform.infra.postgres.pid,
    };
    const cpuSeconds = () => Object.fromEntries(Object.entries(components).map(([k, pid]) => [k, pid ? processTreeCpuSeconds(pid) : NaN]));

    /** One measured round: `events` new feedback; the clock stops when the aggregates count all of them. */
    const measure = async (round: number, before: number) => {
      log(`round ${round}/${rounds}: ${events} events, batches of ${batchSize}, ${concurrency} in flight`);
      const inputs = Array.from({ length: events }, makeInput);
      const latencies: number[] = [];
      const load0 = loadavg()[0]!;
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      const progress = setInterval(() => void aggregated().then((n) => log(`submitted ${latencies.length * batchSize} / ${events}, applied ${n - before}`)), 2_000);
      let submittedMs: number;
      try {
        await submitAll(inputs, latencies);
        submittedMs = performance.now() - t0;
        await waitForAggregates(before + events, `round ${round}`);
      } finally {
        clearInterval(progress);
      }
      const appliedMs = performance.now() - t0;
      const cpu1 = cpuSeconds();
      // Zero loss: every id sent is stored exactly once.
      const { rows: stored } = await db.query<{ n: string }>('SELECT count(*) AS n FROM feedback.feedback_entries WHERE id = ANY($1::uuid[])', [inputs.map((i) => i.id)]);
      const sorted = [...latencies].sort((a, b) => a - b);
      const r = {
        round,
        loadavg1mStart: round1(load0, 2),
        loadavg1mEnd: round1(loadavg()[0]!, 2),
        submitted: { seconds: round1(submittedMs / 1000, 2), eventsPerSecond: round1(events / (submittedMs / 1000)) },
        endToEnd: { seconds: round1(appliedMs / 1000, 2), eventsPerSecond: round1(events / (appliedMs / 1000)) },
        mutationLatencyMs: { p50: round1(percentile(sorted, 0.5)), p95: round1(percentile(sorted, 0.95)), max: round1(sorted[sorted.length - 1] ?? NaN) },
        /** Cores each component kept busy over the round (CPU seconds / wall seconds). */
        cores: Object.fromEntries(Object.keys(components).map((k) => [k, round1((cpu1[k]! - cpu0[k]!) / (appliedMs / 1000), 2)])),
        sent: events,
        stored: Number(stored[0]!.n),
        ids: inputs,
      };
      log(
        `round ${round}: ${r.endToEnd.eventsPerSecond} events/s end to end (batch p50 ${r.mutationLatencyMs.p50} ms), ` +
          `stored ${r.stored} of ${events}; cores ${JSON.stringify(r.cores)}`,
      );
      return r;
    };

    let applied = before;
    const measured: Array<Awaited<ReturnType<typeof measure>>> = [];
    for (let i = 1; i <= rounds; i++) {
      measured.push(await measure(i, applied));
      applied += events;
    }
    const { rows: totals } = await db.query<{ rows: string; agg: string }>(
      `SELECT (SELECT count(*) FROM feedback.feedback_entries WHERE prompt_version_id = $1) AS rows,
              (SELECT coalesce(sum(feedback_count), 0) FROM feedback.feedback_version_minutes WHERE prompt_version_id = $1) AS agg`,
      [version.id],
    );
    // Resubmitting ids already applied changes nothing.
    const resubmitted = measured[0]!.ids.slice(0, Math.ceil(events * 0.05)).map((i) => ({ ...i, thumbs: undefined, score: 5, comment: 'changed' }));
    await submitAll(resubmitted, []);
    await sleep(3_000);
    const afterResubmit = await aggregated();

    const byRate = [...measured].sort((a, b) => a.endToEnd.eventsPerSecond - b.endToEnd.eventsPerSecond);
    const median = byRate[Math.floor(byRate.length / 2)]!;
    const sent = measured.reduce((n, r) => n + r.sent, 0);
    const storedAll = measured.reduce((n, r) => n + r.stored, 0);
    const result = {
      benchmark: 'feedback-throughput',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round1(totalmem() / 2 ** 30) },
      params: { events, rounds, batchSize, concurrency, generations: generationCount, warmup, nodeOptions: process.env.BENCH_NODE_OPTIONS ?? null },
      path: 'gateway submitFeedbackBatch -> feedback service -> feedback.submitted.v1 (3 partitions) -> batch consumer -> PostgreSQL rows + aggregates',
      medianRound: median.round,
      endToEnd: median.endToEnd,
      submitted: median.submitted,
      mutationLatencyMs: median.mutationLatencyMs,
      rounds: measured.map(({ ids: _ids, ...r }) => r),
      loss: {
        sent,
        stored: storedAll,
        lost: sent - storedAll,
        rowsForVersion: Number(totals[0]!.rows),
        aggregatedForVersion: Number(totals[0]!.agg),
      },
      duplicates: { resubmitted: resubmitted.length, aggregatesChangedBy: afterResubmit - Number(totals[0]!.agg) },
      target: { eventsPerSecond: target, met: median.endToEnd.eventsPerSecond >= target },
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'feedback-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `feedback: median of ${rounds} rounds ${result.endToEnd.eventsPerSecond} events/s end to end (rounds: ${measured.map((r) => r.endToEnd.eventsPerSecond).join(', ')}; ` +
        `${events} events each; median round: mutations alone ${result.submitted.eventsPerSecond}/s, ` +
        `batch p50 ${result.mutationLatencyMs.p50} ms p95 ${result.mutationLatencyMs.p95} ms); lost ${result.loss.lost}, rows ${result.loss.rowsForVersion} = aggregates ${result.loss.aggregatedForVersion}; ` +
        `resubmitting ${resubmitted.length} changed the aggregates by ${result.duplicates.aggregatesChangedBy}; target ${target}/s ${result.target.met ? 'met' : 'NOT met'}\n`,
    );
    if (result.loss.lost !== 0 || result.loss.rowsForVersion !== result.loss.aggregatedForVersion || result.duplicates.aggregatesChangedBy !== 0) process.exitCode = 1;
  } finally {
    await db.end().catch(() => undefined);
    await platform.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  const cause = err instanceof Error && err.cause ? ` (cause: ${String((err.cause as Error).message ?? err.cause)})` : '';
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}${cause}\n`);
  process.exit(1);
});
