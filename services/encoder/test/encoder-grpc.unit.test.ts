/** @jest-environment ./services/encoder/test/onnx-environment.js */
// EncoderService.Embed over a real gRPC server on port 0 with the real ONNX model: packed unit
// vectors, typed statuses, and concurrent calls merged into shared model runs (batch sizes
// observed through the metrics hook and on the registry).
import { credentials, status } from '@grpc/grpc-js';
import pino from 'pino';
import { encoderV1 as pb, unpackFloat32LE } from '@llmops/contracts';
import { callUnary, createMetrics, GrpcServer, Lifecycle, InternalAuth } from '@llmops/platform';
import { buildEncoder, type BuiltEncoder } from '../src/build-encoder';
import type { BatchStats } from '../src/domain/micro-batcher';
import { cosine, norm } from '../src/domain/vectors';
import { encoderGrpc, encoderServiceName } from '../src/grpc/encoder.grpc';
import { createEncoderMetrics } from '../src/metrics';
import { encoderSettings } from './model-fixture';

const logger = pino({ level: 'silent' });
let encoder: BuiltEncoder;
let lifecycle: Lifecycle;
let client: pb.EncoderServiceClient;
let metrics: ReturnType<typeof createMetrics>;
const batches: BatchStats[] = [];

beforeAll(async () => {
  metrics = createMetrics('encoder-test');
  const encoderMetrics = createEncoderMetrics(metrics);
  encoder = await buildEncoder(encoderSettings({ ENCODER_BATCH_WAIT_MS: '5', ENCODER_MAX_BATCH_SIZE: '16' }), {
    observer: encoderMetrics.observer,
    onBatch: (model, stats) => {
      batches.push(stats);
      encoderMetrics.onBatch(model, stats);
    },
  });
  lifecycle = new Lifecycle(logger);
  const server = new GrpcServer({ logger, metrics, lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService(encoderServiceName, pb.EncoderServiceService, encoderGrpc(server, encoder.embeddings));
  const port = await server.start();
  client = new pb.EncoderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await lifecycle.shutdown('test');
  await encoder.close();
});

const embed = (request: Partial<pb.EmbedRequest>) =>
  callUnary(client.embed.bind(client), { model: '', inputType: pb.InputType.INPUT_TYPE_QUERY, texts: [], priority: pb.Priority.PRIORITY_UNSPECIFIED, ...request }, { deadlineMs: 30_000 });

test('Embed returns 384-dim unit vectors packed as little-endian float32, with per-input tokens and truncation', async () => {
  const long = 'lorem ipsum '.repeat(200);
  const res = await embed({ texts: ['A man is eating food.', 'A man is eating a piece of bread.', long] });
  expect(res.model).toBe('all-minilm-l6-v2-q');
  expect(res.dimensions).toBe(384);
  expect(res.vectors.length).toBe(3 * 384 * 4);
  const vectors = unpackFloat32LE(res.vectors, 384);
  for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
  expect(cosine(vectors[0]!, vectors[1]!)).toBeGreaterThan(0.6);
  expect(res.tokenCounts).toEqual([8, 11, 256]);
  expect(res.truncated).toEqual([false, false, true]);
  // The tower that answered: the default model's query tower (MiniLM has no prefix).
  expect(res.tower).toEqual({ baseModel: 'all-minilm-l6-v2-q', prefix: '' });
});

test('bad requests are INVALID_ARGUMENT or NOT_FOUND naming the field, and the server stays up', async () => {
  const fieldOf = (err: { metadata: { get(k: string): unknown[] } }) => JSON.parse(String(err.metadata.get('error-details-json')[0])).field;
  const cases: Array<[Partial<pb.EmbedRequest>, status, string]> = [
    [{ texts: [] }, status.INVALID_ARGUMENT, 'texts'],
    [{ texts: ['ok', ''] }, status.INVALID_ARGUMENT, 'texts.1'],
    [{ texts: Array.from({ length: 257 }, () => 'x') }, status.INVALID_ARGUMENT, 'texts'],
    [{ texts: ['x'.repeat(40_000)] }, status.INVALID_ARGUMENT, 'texts.0'],
    [{ texts: ['ok'], inputType: pb.InputType.INPUT_TYPE_UNSPECIFIED }, status.INVALID_ARGUMENT, 'input_type'],
    [{ texts: ['ok'], model: 'no-such-model' }, status.NOT_FOUND, 'model'],
  ];
  for (const [request, code, field] of cases) {
    const err = await embed(request).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect(fieldOf(err as never)).toBe(field);
  }
  expect((await embed({ texts: ['still serving'] })).dimensions).toBe(384);
});

test('concurrent one-text calls are merged into shared model runs', async () => {
  batches.length = 0;
  const texts = Array.from({ length: 32 }, (_, i) => `concurrent request number ${i} about embeddings`);
  const alone = unpackFloat32LE((await embed({ texts: [texts[5]!] })).vectors, 384)[0]!;
  batches.length = 0;
  const results = await Promise.all(texts.map((t) => embed({ texts: [t], inputType: pb.InputType.INPUT_TYPE_DOCUMENT })));
  const sizes = batches.map((b) => b.size);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(32);
  expect(sizes.length).toBeLessThan(32);
  expect(Math.max(...sizes)).toBeGreaterThan(1);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
  // Each caller gets its own text's vector back (batched with others, it moves only slightly).
  expect(cosine(unpackFloat32LE(results[5]!.vectors, 384)[0]!, alone)).toBeGreaterThan(0.97);
  const exposition = await metrics.registry.metrics();
  expect(exposition).toMatch(/embedding_batch_size_count\{service="encoder-test",model="all-minilm-l6-v2-q"\} \d+/);
  expect(exposition).toContain('embedding_request_duration_seconds_bucket{le="0.005",service="encoder-test",model="all-minilm-l6-v2-q",input_type="DOCUMENT"}');
  process.stdout.write(`batch sizes for 32 concurrent calls: ${sizes.join(', ')}\n`);
});

test('a query sent while batch calls are queued is answered before them, in a model run of its own', async () => {
  const documents = Array.from({ length: 16 }, (_, i) => `document ${i} of an ingestion batch, long enough to take the model a while `.repeat(8));
  const order: string[] = [];
  const bulk = [0, 1, 2].map((n) =>
    embed({ texts: documents, inputType: pb.InputType.INPUT_TYPE_DOCUMENT, priority: pb.Priority.PRIORITY_BATCH }).then(() => order.push(`batch ${n}`)),
  );
  await new Promise((r) => setTimeout(r, 20)); // the first batch calls are on the model's copies (ENCODER_ONNX_WORKERS=2), the last one queued
  batches.length = 0;
  const query = embed({ texts: ['which document answers this?'] }).then(() => order.push('query'));
  await Promise.all([...bulk, query]);
  // In FIFO order it would come last; the client shares this process's event loop with the model
  // runs, so the query reaches the server one run later than a remote one would.
  expect(order.indexOf('query')).toBeLessThan(order.indexOf('batch 2'));
  // The query (a few tokens; the documents have 138) ran alone, not inside a batch of documents.
  expect(batches.some((b) => b.size === 1 && b.paddedTokens < 20)).toBe(true);
});
