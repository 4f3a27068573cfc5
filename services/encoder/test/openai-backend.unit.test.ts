/** @jest-environment ./services/encoder/test/onnx-environment.js */
// The remote backend against a real HTTP server that speaks OpenAI's /v1/embeddings as TEI and
// vLLM do, computing its answers with the real local ONNX model (a stand-in for a GPU pod).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { UnavailableError } from '@llmops/platform';
import { buildEncoder, type BuiltEncoder } from '../src/build-encoder';
import { OnnxEmbeddingBackend } from '../src/adapters/embedding-backend.onnx';
import { HfTokenizerAdapter } from '../src/adapters/tokenizer.hf';
import { embeddingModelCatalog } from '../src/domain/catalog';
import { tokenizeTruncated } from '../src/domain/truncation';
import { cosine, l2NormalizeInPlace, norm } from '../src/domain/vectors';
import { encoderSettings, modelDir } from './model-fixture';

const spec = embeddingModelCatalog['all-minilm-l6-v2-q']!;
let server: Server;
let url: string;
let onnx: OnnxEmbeddingBackend;
const seen: Array<{ model: string; inputs: string[]; authorization?: string }> = [];
let remote: BuiltEncoder;
let local: BuiltEncoder;

beforeAll(async () => {
  const tokenizer = new HfTokenizerAdapter(join(modelDir, spec.folder, 'tokenizer.json'));
  onnx = await OnnxEmbeddingBackend.load(spec, join(modelDir, spec.folder, 'model.onnx'), { intraOpThreads: 1, spin: false, workers: 1 });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const { model, input } = JSON.parse(body) as { model: string; input: string[] };
      seen.push({ model, inputs: input, authorization: req.headers.authorization });
      if (input.includes('please fail')) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"overloaded"}');
        return;
      }
      const vectors = await onnx.embed(input.map((t) => tokenizeTruncated(tokenizer, t, spec.maxTokens)));
      const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: Array.from(l2NormalizeInPlace(v)) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', model, data: data.reverse(), usage: { prompt_tokens: 0, total_tokens: 0 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  remote = await buildEncoder(encoderSettings({ ENCODER_BACKEND: 'openai', ENCODER_BACKEND_URL: url, ENCODER_BACKEND_API_KEY: 'sk-test' }));
  // One copy of the model, so that the three texts run as one batch here too: the quantized graph's
  // activation scales are per batch, and two copies would share them out as runs of 2 and 1.
  local = await buildEncoder(encoderSettings({ ENCODER_ONNX_WORKERS: '1' }));
});

afterAll(async () => {
  await remote.close();
  await local.close();
  await onnx.close();
  await new Promise((r) => server.close(r));
});

const texts = ['A man is eating food.', 'A man is eating a piece of bread.', 'A man is riding a horse.'];

test('the remote backend gives the same vectors as the in-process model, in input order', async () => {
  const r = await remote.embeddings.embed({ model: null, inputType: 'DOCUMENT', texts });
  const l = await local.embeddings.embed({ model: null, inputType: 'DOCUMENT', texts });
  expect(r.dimensions).toBe(384);
  r.vectors.forEach((v, i) => {
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(cosine(v, l.vectors[i]!)).toBeGreaterThan(0.99999);
  });
  expect(cosine(r.vectors[0]!, r.vectors[1]!)).toBeGreaterThan(0.6);
  expect(r.tokenCounts).toEqual(l.tokenCounts);
  expect(remote.embeddings.defaultModel.query.runner.backend.kind).toBe('OPENAI');
  expect(seen.at(-1)).toEqual({ model: 'sentence-transformers/all-MiniLM-L6-v2', inputs: texts, authorization: 'Bearer sk-test' });
});

test('over-long inputs are cut locally and reported; the server receives the kept text', async () => {
  const long = 'the quick brown fox jumps over the lazy dog '.repeat(60);
  const r = await remote.embeddings.embed({ model: null, inputType: 'QUERY', texts: [long] });
  expect(r.truncated).toEqual([true]);
  expect(r.tokenCounts).toEqual([256]);
  expect(seen.at(-1)!.inputs[0]!.length).toBeLessThan(long.length);
  const l = await local.embeddings.embed({ model: null, inputType: 'QUERY', texts: [long] });
  expect(cosine(r.vectors[0]!, l.vectors[0]!)).toBeGreaterThan(0.999);
});

test('a failing or unreachable server is UNAVAILABLE naming the backend', async () => {
  await expect(remote.embeddings.embed({ model: null, inputType: 'QUERY', texts: ['please fail'] })).rejects.toBeInstanceOf(UnavailableError);
  const down = await buildEncoder(encoderSettings({ ENCODER_BACKEND: 'openai', ENCODER_BACKEND_URL: 'http://127.0.0.1:9/', ENCODER_BACKEND_TIMEOUT_MS: '2000' }));
  try {
    const err = await down.embeddings.embed({ model: null, inputType: 'QUERY', texts: ['hello'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('UNAVAILABLE');
    expect((err as UnavailableError).dependency).toBe('embedding backend http://127.0.0.1:9/v1/embeddings');
  } finally {
    await down.close();
  }
});
