// SciFact's abstracts and their document-tower embeddings by the default encoder, computed once
// through the encoder's gRPC and cached under .cache/bench/ for the retrieval benchmarks.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { readCorpus } from '../services/retrieval/src/cli/beir-folder';
import { embeddingText } from '../services/retrieval/src/domain/indexer';
import { repoRoot } from './search-stack';

export const model = 'all-minilm-l6-v2-q';
export const dims = 384;

export interface Abstract {
  id: string;
  title: string;
  text: string;
}

/** The corpus of a folder in the BEIR layout, read as the retrieval CLIs read it. */
export async function readAbstracts(dataset: string): Promise<Abstract[]> {
  const out: Abstract[] = [];
  for await (const d of readCorpus(dataset)) out.push({ id: d.id, title: d.title, text: d.text });
  return out;
}

/** The abstracts' document-tower embeddings, computed once and cached. */
export async function abstractVectors(abstracts: Abstract[], encoderAddress: string, log: (m: string) => void): Promise<Float32Array[]> {
  const dir = join(repoRoot, '.cache', 'bench');
  const file = join(dir, `scifact-${model}-documents.f32`);
  if (existsSync(file)) {
    const vectors = unpackFloat32LE(readFileSync(file), dims);
    if (vectors.length === abstracts.length) return vectors;
  }
  log(`embedding ${abstracts.length} abstracts once (cached in ${file}); this takes a few minutes`);
  const client = new encoderV1.EncoderServiceClient(encoderAddress, credentials.createInsecure());
  const vectors: Float32Array[] = [];
  const batches: string[][] = [];
  for (let i = 0; i < abstracts.length; i += 32) batches.push(abstracts.slice(i, i + 32).map(embeddingText));
  const out: Float32Array[][] = new Array(batches.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      while (next < batches.length) {
        const b = next++;
        const res = await callUnary(client.embed.bind(client), { model, inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts: batches[b]!, priority: encoderV1.Priority.PRIORITY_BATCH }, { deadlineMs: 300_000 });
        out[b] = unpackFloat32LE(res.vectors, res.dimensions);
        done += batches[b]!.length;
        if (b % 20 === 0) log(`embedded ${done}/${abstracts.length}`);
      }
    }),
  );
  client.close();
  for (const b of out) vectors.push(...b);
  mkdirSync(dir, { recursive: true });
  const buf = Buffer.alloc(vectors.length * dims * 4);
  vectors.forEach((v, i) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(buf, i * dims * 4));
  writeFileSync(file, buf);
  return vectors;
}

