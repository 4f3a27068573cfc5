// Evaluates configured embedding models on a BEIR data set's split (SciFact's test split is for
// exactly this: it is read here, never trained or tuned on): the whole corpus with each model's
// document tower, the split's queries with its query tower, nDCG@10 / MRR@10 / recall@100.
//   MODEL_DIR=... ENCODER_DATASET_DIR=/work/shared/data ENCODER_DOUBLE_TOWERS='[...]' \
//     node services/encoder/dist/cli/evaluate-retrieval.js [--dataset beir-scifact] [--split test]
//     [--models a,b] [--out results.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, runMain } from '@llmops/platform';
import { config } from '../config';
import { buildEncoder } from '../build-encoder';
import { BeirDatasetSource } from '../adapters/beir-dataset.fs';
import type { Tower } from '../domain/embedding-model';
import { embedWithTower } from '../domain/embedding-service';
import { evaluateRanking, type RankingMetrics } from '../domain/retrieval-evaluation';

runMain(async () => {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', default: 'beir-scifact' },
      split: { type: 'string', default: 'test' },
      models: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const logger = createLogger('encoder-eval', config.LOG_LEVEL);
  const set = await new BeirDatasetSource(config.ENCODER_DATASET_DIR ?? null).loadRetrievalSet(values.dataset, values.split);
  if (!set) throw new Error(`no data set ${values.dataset} split ${values.split} under ENCODER_DATASET_DIR=${config.ENCODER_DATASET_DIR}`);
  const encoder = await buildEncoder(config);
  try {
    const models = values.models ? values.models.split(',').map((m) => encoder.embeddings.model(m.trim())) : encoder.embeddings.models;
    const docIndex = new Map(set.documents.map((d, i) => [d.id, i]));
    const relevance = set.queries.map((q) => new Map([...q.relevant].flatMap(([id, g]) => (docIndex.has(id) ? [[docIndex.get(id)!, g]] : []))));
    const corpusCache = new Map<string, Float32Array[]>();
    const embedAll = async (tower: Tower, texts: string[], what: string) => {
      const out: Float32Array[] = [];
      let logged = 0;
      for (let i = 0; i < texts.length; i += 64) {
        out.push(...(await embedWithTower(tower, texts.slice(i, i + 64), undefined, 'batch')).vectors);
        if (out.length - logged >= texts.length / 10 || out.length === texts.length) {
          logged = out.length;
          logger.info({ what, done: out.length, of: texts.length }, `embedding ${what}`);
        }
      }
      return out;
    };
    const results: Array<{ model: string; towers: string; queryAdapter: string | null } & RankingMetrics> = [];
    for (const model of models) {
      const d = model.document;
      const key = `${d.base.name}|${d.prefix}|${d.adapter ? `${d.adapter.manifest.name}@${d.adapter.manifest.version}` : ''}`;
      if (!corpusCache.has(key)) corpusCache.set(key, await embedAll(d, set.documents.map((x) => x.text), `${set.documents.length} documents (${key})`));
      const queries = await embedAll(model.query, set.queries.map((q) => q.text), `${set.queries.length} queries (${model.name})`);
      const metrics = evaluateRanking(queries, corpusCache.get(key)!, relevance);
      const adapter = model.query.adapter ? `${model.query.adapter.manifest.name}@${model.query.adapter.manifest.version}` : null;
      results.push({ model: model.name, towers: model.kind, queryAdapter: adapter, ...metrics });
      logger.info({ model: model.name, ...metrics }, 'evaluated');
    }
    const report = { dataset: values.dataset, split: values.split, documents: set.documents.length, measuredAt: new Date().toISOString(), results };
    if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await encoder.close();
  }
});
