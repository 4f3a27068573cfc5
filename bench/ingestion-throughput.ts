// Offline ingestion throughput: Kafka -> encoder -> Elasticsearch against the raw encoder.
//   raw:      documents embedded straight through EncoderService.Embed, 32 per call with two calls
//             in flight (at batch priority, as ingestion calls it), so that the encoder is never
//             idle: what the encoder alone can do;
//   pipeline: the same number of other documents through ingestDocuments (GraphQL, calls of at
//             most 500) -> documents.ingest.v1 -> consumer -> Embed -> bulk index, timed from the
//             first call until every job reports COMPLETED, its status read the way the
//             retrieval CLIs read it (job-polling.ts: at most once a second, sooner near the end).
// The machine is shared, so its load drifts: the two are measured in alternating rounds
// (raw, pipeline, raw), each round's pipeline against the mean of the raw runs around it, and the
// encoder's own /metrics tell how busy it was and how long its model took per text. Both paths are
// warmed up first: Elasticsearch alone with 10,000 documents written straight to a scratch
// collection, refreshed after every bulk (its JIT compiler threads took 55-60 % of its CPU over its
// first 600 documents, and still 25-55 % between its 3,000th and 12,000th: per-thread /proc
// ticks), then the pipeline with documents from the end of the corpus that no round uses. Five
// rounds, as a round's ratio alone moves by a tenth with the machine's load; of 900 documents, as a
// job's fixed costs (the call, the first batch reaching the encoder, the last one written and
// seen COMPLETED: the encoder idles about 0.5 s) weigh less on 20 s than on 13 s.
// Target: pipeline >= 90 % of raw.   npm run bench:ingestion -- [--rounds 5] [--per-round 900] [--warm-up 600] [--es-warm-up 10000]
//   [--env retrieval:INGEST_BATCH_SIZE=64 ...]   settings of the encoder or retrieval service other than their defaults
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { encoderV1 } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { embeddingText } from '../services/retrieval/src/domain/indexer';
import type { DocumentInput } from '../services/retrieval/src/domain/model';
import { configSchema as retrievalConfig } from '../services/retrieval/src/config-schema';
import { EsIngestionJobs, outcomesIndexOf } from '../services/retrieval/src/adapters/ingestion-jobs.es';
import { readCorpus } from '../services/retrieval/src/cli/beir-folder';
import { waitForJobs } from '../services/retrieval/src/cli/job-polling';
import { RetrievalClient } from '../services/retrieval/src/cli/retrieval-client';
import { benchCollection, repoRoot, round, startSearchStack } from './search-stack';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'per-round': { type: 'string', default: '900' },
    'warm-up': { type: 'string', default: '600' },
    'es-warm-up': { type: 'string', default: '10000' },
    dataset: { type: 'string', default: '/work/shared/data/beir-scifact' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
/** --env service:KEY=VALUE, for the encoder or the retrieval service. */
const serviceEnv: { encoder: Record<string, string>; retrieval: Record<string, string> } = { encoder: {}, retrieval: {} };
for (const assignment of args.env) {
  const m = /^(encoder|retrieval):([A-Z0-9_]+)=(.*)$/.exec(assignment);
  if (!m) throw new Error(`--env ${assignment}: expected encoder:KEY=VALUE or retrieval:KEY=VALUE`);
  serviceEnv[m[1] as 'encoder' | 'retrieval'][m[2]!] = m[3]!;
}
/** A retrieval setting as the benchmark runs it: --env, else the service's default. */
const setting = (key: 'INGEST_BATCH_SIZE' | 'INGEST_CONCURRENCY') => serviceEnv.retrieval[key] ?? String(retrievalConfig.shape[key].parse(undefined));
const rounds = Number(args.rounds);
const perRound = Number(args['per-round']);
const warmUp = Number(args['warm-up']);
const esWarmUp = Number(args['es-warm-up']);
const raw = { batchSize: 32, inFlight: 2 };
const log = (m: string) => process.stderr.write(`[ingestion] ${m}\n`);

async function main(): Promise<void> {
  const corpus: DocumentInput[] = [];
  for await (const d of readCorpus(args.dataset)) corpus.push(d);
  if (corpus.length < rounds * perRound + warmUp) throw new Error(`${args.dataset}/corpus.jsonl: ${corpus.length} documents, fewer than ${rounds} rounds of ${perRound} and a warm-up of ${warmUp}`);
  const docs = corpus.slice(0, rounds * perRound);
  const warmUpDocs = corpus.slice(corpus.length - warmUp);
  const stack = await startSearchStack('ingestion', serviceEnv);
  const encoder = new encoderV1.EncoderServiceClient(stack.encoderAddress, credentials.createInsecure());
  const client = new RetrievalClient(stack.retrievalUrl);
  try {
    const rawRate = async (texts: string[]) => {
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: raw.inFlight }, async () => {
          while (next < texts.length) {
            const batch = texts.slice(next, (next += raw.batchSize));
            await callUnary(encoder.embed.bind(encoder), { model: '', inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts: batch, priority: encoderV1.Priority.PRIORITY_BATCH }, { deadlineMs: 300_000 });
          }
        }),
      );
      return texts.length / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    const collection = `bench-ingestion-${Date.now()}`;
    await client.createCollection(collection, null, null);
    // A round is sent in calls of at most `perCall` documents (one job each; a call's body must
    // stay under the service's 1 MiB request limit), one after another as a client would.
    const perCall = 500;
    // A round's fixed costs, from its outcomes' `at`: how long after the first call its first
    // outcome was recorded (the call, Kafka, the first batch's embedding and write), and when the
    // client saw its last job COMPLETED after its last outcome.
    const jobsIndex = retrievalConfig.shape.INGESTION_JOB_INDEX.parse(undefined);
    const outcomes = outcomesIndexOf(jobsIndex);
    const outcomeSpan = async (jobIds: string[]) => {
      const res = await fetch(`${stack.elasticsearchUrl}/${outcomes}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 0, query: { terms: { job_id: jobIds } }, aggs: { first: { min: { field: 'at' } }, last: { max: { field: 'at' } } } }),
      });
      const { aggregations } = (await res.json()) as { aggregations: { first: { value: number }; last: { value: number } } };
      return { first: aggregations.first.value, last: aggregations.last.value };
    };
    let jobLagMs = { start: 0, completion: 0 };
    const pipelineRate = async (batch: DocumentInput[]) => {
      const startedAt = Date.now();
      const started = process.hrtime.bigint();
      const jobs: string[] = [];
      for (let i = 0; i < batch.length; i += perCall) jobs.push(await client.ingest(collection, batch.slice(i, i + perCall)));
      const finished = await waitForJobs(client, jobs);
      const failed = finished.reduce((s, j) => s + j.failed, 0);
      if (failed) throw new Error(`${failed} documents failed`);
      const rate = batch.length / (Number(process.hrtime.bigint() - started) / 1e9);
      const completedAt = Date.now();
      const span = await outcomeSpan(jobs);
      jobLagMs = { start: span.first - startedAt, completion: completedAt - span.last };
      return rate;
    };

    // Elasticsearch's own account of its work (all indices: the collection, jobs, outcomes), ms.
    const esWork = async () => {
      const stats = (await (await fetch(`${stack.elasticsearchUrl}/_stats/indexing,refresh,merge`)).json()) as {
        _all: { total: { indexing: { index_time_in_millis: number }; refresh: { total: number; total_time_in_millis: number }; merges: { total_time_in_millis: number } } };
      };
      const t = stats._all.total;
      return { indexingMs: t.indexing.index_time_in_millis, refreshes: t.refresh.total, refreshMs: t.refresh.total_time_in_millis, mergeMs: t.merges.total_time_in_millis };
    };
    // The encoder's own account (its /metrics): seconds spent in model runs and texts per run.
    const encoderRuns = async () => {
      const text = await (await fetch(`${stack.encoderHttpUrl}/metrics`)).text();
      const read = (name: string) => Number(new RegExp(`^${name}\\{[^}]*model="all-minilm-l6-v2-q"[^}]*\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
      return { busySeconds: read('embedding_batch_duration_seconds_sum'), runs: read('embedding_batch_size_count'), texts: read('embedding_batch_size_sum') };
    };
    const measured = async (run: () => Promise<number>) => {
      const before = await encoderRuns();
      const esBefore = await esWork();
      const cpuBefore = stack.cpuSeconds();
      const jitBefore = stack.elasticsearchJitSeconds();
      const started = process.hrtime.bigint();
      const rate = await run();
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const after = await encoderRuns();
      const esAfter = await esWork();
      const cpuAfter = stack.cpuSeconds();
      const jitAfter = stack.elasticsearchJitSeconds();
      const runs = after.runs - before.runs;
      const cores = (k: keyof typeof cpuAfter) => round((cpuAfter[k] - cpuBefore[k]) / wall, 2);
      return {
        documentsPerSecond: round(rate, 2),
        /** Share of the time the encoder was running the model. */
        encoderBusy: round((after.busySeconds - before.busySeconds) / wall, 3),
        textsPerRun: round(runs ? (after.texts - before.texts) / runs : 0, 1),
        /** Model time per text: grows when other processes take the cores from the encoder. */
        modelMsPerText: round((1000 * (after.busySeconds - before.busySeconds)) / Math.max(1, after.texts - before.texts), 1),
        /** Cores each component used meanwhile (of the machine's two). */
        cores: { encoder: cores('encoder'), elasticsearch: cores('elasticsearch'), kafka: cores('kafka'), retrieval: cores('retrieval') },
        /** Of Elasticsearch's cores, those its JIT compiler threads used (high while it is still warming up). */
        elasticsearchJitCores: round((jitAfter - jitBefore) / wall, 2),
        /** Elasticsearch's time in indexing, refreshes (and how many) and merges meanwhile. */
        elasticsearch: Object.fromEntries(Object.entries(esAfter).map(([k, v]) => [k, v - esBefore[k as keyof typeof esAfter]])),
      };
    };

    if (esWarmUp > 0) {
      // Elasticsearch alone first: the corpus's documents, with random unit vectors, written to a
      // scratch collection the way ingestion writes them (bulks of 32 and their outcomes, a status
      // read now and then), so that its JIT has compiled what the rounds run. Both indices are
      // refreshed after every bulk: in the rounds, a refresh (a small segment written, merged
      // later) comes every second, and its code would otherwise still be compiling then (in the
      // two rounds after a warm-up without: 1.6 CPU-s each of compilation, with: 0.9-1.2).
      log(`warming up Elasticsearch (${esWarmUp} documents written straight to a scratch collection)`);
      const scratch = benchCollection(stack, `${collection}-es-warm-up`);
      await scratch.create();
      const jobStore = new EsIngestionJobs(scratch.es, jobsIndex);
      const unit = () => {
        const v = Float32Array.from({ length: 384 }, () => Math.random() - 0.5);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      };
      const jitBefore = stack.elasticsearchJitSeconds();
      for (let i = 0; i < esWarmUp; i += 32) {
        const slice = Array.from({ length: Math.min(32, esWarmUp - i) }, (_, j) => corpus[(i + j) % corpus.length]!);
        const jobId = `es-warm-up-${Math.floor(i / 320)}`;
        if (i % 320 === 0) await jobStore.create({ id: jobId, projectId: scratch.ref.projectId, collection: scratch.ref.name, submitted: 320, createdAt: new Date() });
        await scratch.documents.write(scratch.ref, slice.map((d) => ({ id: `${d.id}-${i}`, title: d.title, text: d.text, metadata: {}, jobId, vector: unit() })));
        await jobStore.recordOutcomes(slice.map((d) => ({ jobId, collection: scratch.ref.name, documentId: `${d.id}-${i}`, ok: true, reason: null })));
        await Promise.all([jobStore.publishOutcomes(), scratch.es.indices.refresh({ index: scratch.index })]);
        if (i % 320 === 288) await jobStore.get(scratch.ref.projectId, jobId, 0);
      }
      log(`Elasticsearch warmed up (its JIT compiler threads took ${round(stack.elasticsearchJitSeconds() - jitBefore, 1)} CPU-s)`);
      await client.deleteCollection(scratch.ref.name);
      await scratch.es.close();
    }
    log(`warming up (the raw encoder, then the pipeline with ${warmUp} documents)`);
    await rawRate(docs.slice(0, 32).map(embeddingText));
    // Recorded for how much of Elasticsearch's CPU went to its JIT then, against the rounds.
    const warmUpPipeline = warmUp > 0 ? await measured(() => pipelineRate(warmUpDocs)) : null;
    if (warmUpPipeline) log(`warm-up: ${JSON.stringify(warmUpPipeline)}`);
    const results = [];
    for (let r = 0; r < rounds; r++) {
      const batch = docs.slice(r * perRound, (r + 1) * perRound);
      const texts = batch.map(embeddingText);
      const before = await measured(() => rawRate(texts));
      const pipeline = { ...(await measured(() => pipelineRate(batch))), startLagMs: jobLagMs.start, completionLagMs: jobLagMs.completion };
      const after = await measured(() => rawRate(texts));
      const ratio = round(pipeline.documentsPerSecond / ((before.documentsPerSecond + after.documentsPerSecond) / 2), 3);
      const round_ = { rawBefore: before, pipeline, rawAfter: after, ratio, load: round(loadavg()[0]!, 1) };
      log(`round ${r + 1}: ${JSON.stringify(round_)}`);
      results.push(round_);
    }
    const ratios = results.map((r) => r.ratio).sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)]!;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const busyRatio = round(mean(results.map((r) => r.pipeline.encoderBusy)) / mean(results.flatMap((r) => [r.rawBefore.encoderBusy, r.rawAfter.encoderBusy])), 3);
    const result = {
      benchmark: 'ingestion-throughput',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      inputs: {
        dataset: `${args.dataset}, ${perRound} documents per round ("title text" as the consumer embeds them), after a warm-up of Elasticsearch alone (${esWarmUp} documents written straight to a scratch collection) and of both paths (the pipeline with the corpus's last ${warmUp})`,
        model: 'all-minilm-l6-v2-q (the encoder default)',
        raw: `${raw.batchSize} texts per Embed call, ${raw.inFlight} calls in flight`,
        pipeline: `ingestDocuments calls of at most ${perCall} documents, one after another, then every job polled until COMPLETED as the CLIs poll (at most once a second, near the end after half the expected remaining time less the counts' one-second lag, at least 100 ms apart)`,
        consumer: `INGEST_BATCH_SIZE ${setting('INGEST_BATCH_SIZE')}, INGEST_CONCURRENCY ${setting('INGEST_CONCURRENCY')}, the next batch embedding while the previous one is written, at batch priority like the raw calls`,
        settings: Object.keys(serviceEnv.encoder).length + Object.keys(serviceEnv.retrieval).length ? serviceEnv : 'the services\' defaults',
        elasticsearch: stack.elasticsearchRuntime,
      },
      warmUpPipeline,
      rounds: results,
      medianRatio: median,
      /** How busy the pipeline kept the encoder, against how busy raw calls kept it. */
      encoderBusyRatio: busyRatio,
      target: 'pipeline >= 0.9 x raw encoder',
      met: median >= 0.9,
    };
    writeFileSync(join(repoRoot, 'bench', 'results', 'ingestion-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    encoder.close();
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
