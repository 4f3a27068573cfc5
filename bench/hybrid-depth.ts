// How deep HYBRID's two lists must go before fusion: nDCG@10, recall@100 and MRR@10 on a BEIR
// folder (SciFact's test queries by default) for each depth, with the time Elasticsearch takes for
// the two lists at that depth. The corpus is written with the cached document-tower embeddings of
// bench:search (no ingestion), the query embeddings come from the encoder (query tower), and the
// fusion is the retrieval service's own (reciprocal rank fusion, k = 60), through its
// Elasticsearch adapter. The keyword and vector lists alone are scored too. Chooses the service's HYBRID_DEPTH with bench:search's latencies at 100k.
//   npm run bench:hybrid-depth -- [--depths 10,20,30,50,100] [--dataset /work/shared/data/beir-scifact]
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { readJudgedQueries } from '../services/retrieval/src/cli/beir-folder';
import { reciprocalRankFusion } from '../services/retrieval/src/domain/fusion';
import { rankingMetrics } from '../services/retrieval/src/domain/ranking-metrics';
import { defaultSearchSettings } from '../services/retrieval/src/domain/search';
import { abstractVectors, model, readAbstracts } from './scifact-vectors';
import { benchCollection, knnDefaults, quantile, repoRoot, round, startSearchStack } from './search-stack';

const { values: args } = parseArgs({
  options: {
    depths: { type: 'string', default: '10,20,30,50,100' },
    dataset: { type: 'string', default: '/work/shared/data/beir-scifact' },
  },
});
const depths = args.depths.split(',').map(Number);
const log = (m: string) => process.stderr.write(`[hybrid-depth] ${m}\n`);

async function main(): Promise<void> {
  const abstracts = await readAbstracts(args.dataset);
  const queries = await readJudgedQueries(args.dataset, 'test');
  const stack = await startSearchStack('hybrid-depth');
  const { es, ref, index, documents, create } = benchCollection(stack, 'hybrid-depth');
  const encoder = new encoderV1.EncoderServiceClient(stack.encoderAddress, credentials.createInsecure());
  try {
    const vectors = await abstractVectors(abstracts, stack.encoderAddress, log);
    await create();
    log(`writing ${abstracts.length} documents with their cached embeddings`);
    for (let i = 0; i < abstracts.length; i += 1_000) {
      const batch = abstracts.slice(i, i + 1_000).map((a, j) => ({ ...a, metadata: {}, jobId: 'bench', vector: vectors[i + j]! }));
      const refused = (await documents.write(ref, batch)).filter((r) => !r.ok);
      if (refused.length) throw new Error(`Elasticsearch refused ${refused.length} documents: ${JSON.stringify(refused[0])}`);
    }
    await es.indices.refresh({ index });
    await es.indices.forcemerge({ index, max_num_segments: 1 });

    log(`embedding ${queries.length} queries (query tower)`);
    const queryVectors: Float32Array[] = [];
    for (let i = 0; i < queries.length; i += 32) {
      const res = await callUnary(
        encoder.embed.bind(encoder),
        { model, inputType: encoderV1.InputType.INPUT_TYPE_QUERY, texts: queries.slice(i, i + 32).map((q) => q.text), priority: encoderV1.Priority.PRIORITY_INTERACTIVE },
        { deadlineMs: 120_000 },
      );
      queryVectors.push(...unpackFloat32LE(res.vectors, res.dimensions));
    }
    // Warm-up: every query's two lists once at the deepest depth.
    const deepest = Math.max(...depths);
    for (const [i, q] of queries.entries()) await Promise.all([documents.keywordIds(ref, q.text, deepest, []), documents.vectorIds(ref, queryVectors[i]!, deepest, [])]);

    // Each list alone (100 deep, for recall@100), for comparison with the fused ones.
    const alone: Record<string, unknown> = {};
    for (const mode of ['keyword', 'vector'] as const) {
      const ranked: string[][] = [];
      for (const [i, q] of queries.entries()) {
        const list = mode === 'keyword' ? await documents.keywordIds(ref, q.text, 100, []) : await documents.vectorIds(ref, queryVectors[i]!, 100, []);
        ranked.push(list.map((r) => r.id));
      }
      alone[mode] = rankingMetrics(ranked, queries.map((q) => q.relevant));
      log(`${mode} alone: ${JSON.stringify(alone[mode])}`);
    }

    const rows = [];
    for (const depth of depths) {
      const ranked: string[][] = [];
      const ms: number[] = [];
      for (const [i, q] of queries.entries()) {
        const t0 = process.hrtime.bigint();
        const [keyword, vector] = await Promise.all([documents.keywordIds(ref, q.text, depth, []), documents.vectorIds(ref, queryVectors[i]!, depth, [])]);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        // recall@100 needs 100 ids: the fused list as deep as the lists go.
        ranked.push(reciprocalRankFusion(keyword, vector, Math.max(10, depth), defaultSearchSettings.rrfK).map((h) => h.id));
      }
      ms.sort((a, b) => a - b);
      const metrics = rankingMetrics(ranked, queries.map((q) => q.relevant));
      const row = { depth, ...metrics, elasticsearchListsMs: { p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)) } };
      log(JSON.stringify(row));
      rows.push(row);
    }
    const result = {
      benchmark: 'hybrid-depth',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: loadavg().map((x) => round(x, 1)) },
      inputs: {
        dataset: args.dataset,
        documents: abstracts.length,
        queries: queries.length,
        model,
        fusion: `reciprocal rank fusion, k = ${defaultSearchSettings.rrfK}, of BM25 and kNN lists of \`depth\` ids each (kNN num_candidates = max(${knnDefaults.minCandidates}, 2 x depth))`,
        note: 'recall@100 counts the fused list, which holds at most 2 x depth ids: below depth 50 it is not comparable',
      },
      alone,
      depths: rows,
    };
    writeFileSync(join(repoRoot, 'bench', 'results', 'hybrid-depth.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`hybrid depth: ${rows.map((r) => `${r.depth}: nDCG@10 ${r['ndcg@10']}, lists p50/p95 ${r.elasticsearchListsMs.p50}/${r.elasticsearchListsMs.p95} ms`).join('; ')}\n`);
  } finally {
    encoder.close();
    await es.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
