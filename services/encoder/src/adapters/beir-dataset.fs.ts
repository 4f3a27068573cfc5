// BEIR-format data sets under one folder: <dir>/<dataset>/{corpus.jsonl, queries.jsonl,
// qrels/<split>.tsv}. Only the split asked for is read; documents are "title text" as BEIR's own
// evaluation joins them.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingData } from '../domain/adapter-model';
import type { RetrievalSet, RetrievalSetSource, TrainingDataSource } from '../domain/ports';

export class BeirDatasetSource implements TrainingDataSource, RetrievalSetSource {
  /** `dir` null: no data sets configured; every load answers null. */
  constructor(private readonly dir: string | null) {}

  async list(): Promise<string[]> {
    if (!this.dir || !existsSync(this.dir)) return [];
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && existsSync(join(this.dir!, e.name, 'qrels', 'train.tsv'))).map((e) => e.name).sort();
  }

  async load(dataset: string, split: 'train'): Promise<TrainingData | null> {
    if (!this.dir || !/^[a-z0-9][a-z0-9._-]*$/.test(dataset)) return null;
    const root = join(this.dir, dataset);
    const qrelsFile = join(root, 'qrels', `${split}.tsv`);
    if (!existsSync(qrelsFile)) return null;
    const pairs = (await readFile(qrelsFile, 'utf8'))
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split('\t'))
      .filter((cols) => cols.length >= 3 && Number(cols[2]) > 0)
      .map(([queryId, documentId]) => ({ queryId: queryId!, documentId: documentId! }));
    const wantedQueries = new Set(pairs.map((p) => p.queryId));
    const wantedDocs = new Set(pairs.map((p) => p.documentId));
    const queries = new Map<string, string>();
    for (const row of await readJsonl(join(root, 'queries.jsonl'))) {
      if (wantedQueries.has(row._id)) queries.set(row._id, row.text);
    }
    const documents = new Map<string, string>();
    for (const row of await readJsonl(join(root, 'corpus.jsonl'))) {
      if (wantedDocs.has(row._id)) documents.set(row._id, row.title ? `${row.title} ${row.text}` : row.text);
    }
    // Pairs whose query or document text is missing are dropped rather than trained on blanks.
    return { queries, documents, pairs: pairs.filter((p) => queries.has(p.queryId) && documents.has(p.documentId)) };
  }

  async loadRetrievalSet(dataset: string, split: string): Promise<RetrievalSet | null> {
    if (!this.dir || !/^[a-z0-9][a-z0-9._-]*$/.test(dataset) || !/^[a-z0-9_-]+$/.test(split)) return null;
    const root = join(this.dir, dataset);
    const qrelsFile = join(root, 'qrels', `${split}.tsv`);
    if (!existsSync(qrelsFile)) return null;
    const relevant = new Map<string, Map<string, number>>();
    for (const line of (await readFile(qrelsFile, 'utf8')).split('\n').slice(1)) {
      const [queryId, documentId, score] = line.trim().split('\t');
      if (!queryId || !documentId || !(Number(score) > 0)) continue;
      if (!relevant.has(queryId)) relevant.set(queryId, new Map());
      relevant.get(queryId)!.set(documentId, Number(score));
    }
    const documents = (await readJsonl(join(root, 'corpus.jsonl'))).map((row) => ({
      id: row._id,
      text: row.title ? `${row.title} ${row.text}` : row.text,
    }));
    const queries = (await readJsonl(join(root, 'queries.jsonl')))
      .filter((row) => relevant.has(row._id))
      .map((row) => ({ id: row._id, text: row.text, relevant: relevant.get(row._id)! }));
    return { documents, queries };
  }
}

async function readJsonl(file: string): Promise<Array<{ _id: string; text: string; title?: string }>> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { _id: string; text: string; title?: string });
}
