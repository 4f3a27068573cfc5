// A data set in the BEIR layout: corpus.jsonl ({_id, title, text, metadata?}), queries.jsonl
// ({_id, text}) and qrels/<split>.tsv (query-id, corpus-id, score; one header line).
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DocumentInput } from '../domain/model';

export interface BeirQuery {
  id: string;
  text: string;
  /** Relevant document ids with their grades (> 0). */
  relevant: Map<string, number>;
}

export function requireBeirFile(folder: string, ...path: string[]): string {
  const file = join(folder, ...path);
  if (!existsSync(file)) throw new Error(`${file} does not exist: ${folder} is not a folder in the BEIR layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)`);
  return file;
}

/** Streams the corpus as documents, one JSON line at a time. */
export async function* readCorpus(folder: string): AsyncGenerator<DocumentInput> {
  const file = requireBeirFile(folder, 'corpus.jsonl');
  let line = 0;
  for await (const raw of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    line++;
    if (!raw.trim()) continue;
    const row = parseLine(raw, file, line) as { _id?: unknown; title?: unknown; text?: unknown; metadata?: unknown };
    if (typeof row._id !== 'string' && typeof row._id !== 'number') throw new Error(`${file}:${line}: _id is missing`);
    const metadata = typeof row.metadata === 'object' && row.metadata !== null && !Array.isArray(row.metadata) ? (row.metadata as Record<string, unknown>) : {};
    yield { id: String(row._id), title: typeof row.title === 'string' ? row.title : '', text: typeof row.text === 'string' ? row.text : '', metadata };
  }
}

export async function countLines(file: string): Promise<number> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim()).length;
}

/** The queries that have judgments in qrels/<split>.tsv, with them. */
export async function readJudgedQueries(folder: string, split: string): Promise<BeirQuery[]> {
  const qrels = requireBeirFile(folder, 'qrels', `${split}.tsv`);
  const relevant = new Map<string, Map<string, number>>();
  for (const [i, raw] of (await readFile(qrels, 'utf8')).split('\n').entries()) {
    const [queryId, documentId, score] = raw.trim().split('\t');
    if (i === 0 && (queryId === 'query-id' || Number.isNaN(Number(score)))) continue;
    if (!queryId || !documentId || !(Number(score) > 0)) continue;
    if (!relevant.has(queryId)) relevant.set(queryId, new Map());
    relevant.get(queryId)!.set(documentId, Number(score));
  }
  const file = requireBeirFile(folder, 'queries.jsonl');
  const queries: BeirQuery[] = [];
  for (const [i, raw] of (await readFile(file, 'utf8')).split('\n').entries()) {
    if (!raw.trim()) continue;
    const row = parseLine(raw, file, i + 1) as { _id?: unknown; text?: unknown };
    const rel = relevant.get(String(row._id));
    if (rel && typeof row.text === 'string') queries.push({ id: String(row._id), text: row.text, relevant: rel });
  }
  return queries;
}

function parseLine(raw: string, file: string, line: number): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${file}:${line}: not a JSON line`);
  }
}
