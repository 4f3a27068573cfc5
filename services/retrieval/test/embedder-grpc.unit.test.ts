// The encoder's gRPC client against a real gRPC server on port 0 that plays EncoderService: the
// request it sends, the vectors it unpacks, typed rejections, and cancellation on the wire.
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { encoderV1, packFloat32LE } from '@llmops/contracts';
import { UnavailableError } from '@llmops/platform';
import { GrpcEmbedder } from '../src/adapters/embedder.grpc';
import { EncoderRejection, UnknownReferenceError } from '../src/domain/errors';

type Call = ServerUnaryCall<encoderV1.EmbedRequest, encoderV1.EmbedResponse>;
let handler: (call: Call, cb: sendUnaryData<encoderV1.EmbedResponse>) => void;
const server = new Server();
let embedder: GrpcEmbedder;

beforeAll(async () => {
  server.addService(encoderV1.EncoderServiceService, { embed: (call: Call, cb: sendUnaryData<encoderV1.EmbedResponse>) => handler(call, cb) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  embedder = new GrpcEmbedder(`127.0.0.1:${port}`, 5_000);
});
afterAll(() => {
  embedder.close();
  server.forceShutdown();
});

const rejectWith = (code: status, details: string, errorDetails: Record<string, unknown>) => (_call: Call, cb: sendUnaryData<encoderV1.EmbedResponse>) => {
  const metadata = new Metadata();
  metadata.set('error-details-json', JSON.stringify(errorDetails));
  cb({ code, details, metadata, name: 'Error', message: details });
};

test('sends the model, input type and priority, and unpacks the vectors', async () => {
  const requests: encoderV1.EmbedRequest[] = [];
  handler = (call, cb) => {
    requests.push(call.request);
    cb(null, { model: 'm', dimensions: 2, vectors: packFloat32LE(call.request.texts.map((t) => Float32Array.from([t.length, 0.5])), 2), tokenCounts: [], truncated: [] });
  };
  const out = await embedder.embed('m', 'DOCUMENT', ['ab', 'abcd'], undefined, 'batch');
  expect(out.vectors.map((v) => Array.from(v))).toEqual([[2, 0.5], [4, 0.5]]);
  await embedder.embed(null, 'QUERY', ['q']);
  expect(requests.map((r) => [r.model, r.inputType, r.priority])).toEqual([
    ['m', encoderV1.InputType.INPUT_TYPE_DOCUMENT, encoderV1.Priority.PRIORITY_BATCH],
    ['', encoderV1.InputType.INPUT_TYPE_QUERY, encoderV1.Priority.PRIORITY_INTERACTIVE],
  ]);
  // An encoder older than the tower field names none.
  expect(out.tower).toBeNull();
});

test('passes on the tower that answered', async () => {
  handler = (_call, cb) =>
    cb(null, { model: 'm', dimensions: 1, vectors: packFloat32LE([Float32Array.from([1])], 1), tokenCounts: [], truncated: [], tower: { baseModel: 'e5-small-v2-q', prefix: 'query: ' } });
  expect((await embedder.embed('m', 'QUERY', ['q'])).tower).toEqual({ baseModel: 'e5-small-v2-q', prefix: 'query: ' });
});

test("the encoder's refusals become typed errors naming the text or model", async () => {
  handler = rejectWith(status.INVALID_ARGUMENT, 'texts.1: empty text', { field: 'texts.1' });
  const rejection = await embedder.embed(null, 'DOCUMENT', ['a', '']).catch((e: unknown) => e);
  expect(rejection).toBeInstanceOf(EncoderRejection);
  expect(rejection).toMatchObject({ textIndex: 1, message: 'texts.1: empty text' });
  handler = rejectWith(status.NOT_FOUND, 'unknown model', { known: ['all-minilm-l6-v2-q'] });
  await expect(embedder.embed('nope', 'DOCUMENT', ['a'])).rejects.toBeInstanceOf(UnknownReferenceError);
  handler = rejectWith(status.RESOURCE_EXHAUSTED, 'queue full', {});
  await expect(embedder.embed(null, 'DOCUMENT', ['a'])).rejects.toBeInstanceOf(UnavailableError);
});

test('an encoder that fails without refusing a text is unavailable, not a failed document', async () => {
  // INTERNAL and UNKNOWN say nothing about the texts: ingestion must wait and retry (a raw error
  // would dead-letter every document of the batch) and a search must be UNAVAILABLE, not a 500.
  for (const code of [status.INTERNAL, status.UNKNOWN, status.FAILED_PRECONDITION, status.PERMISSION_DENIED]) {
    handler = rejectWith(code, 'onnx session failed', {});
    const err = await embedder.embed(null, 'DOCUMENT', ['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ dependency: 'encoder' });
  }
  // A response whose vectors do not unpack is a malfunction too.
  handler = (_call, cb) => cb(null, { model: 'm', dimensions: 3, vectors: Buffer.alloc(5), tokenCounts: [], truncated: [] });
  await expect(embedder.embed(null, 'DOCUMENT', ['a'])).rejects.toBeInstanceOf(UnavailableError);
});

test("the caller's abort cancels the call on the wire and rejects with its reason", async () => {
  let cancelled = false;
  let received = false;
  handler = (call) => {
    received = true;
    call.on('cancelled', () => (cancelled = true));
  };
  const controller = new AbortController();
  const pending = embedder.embed(null, 'QUERY', ['slow'], controller.signal);
  while (!received) await new Promise((r) => setTimeout(r, 5));
  const reason = new Error('search cancelled');
  controller.abort(reason);
  await expect(pending).rejects.toBe(reason);
  for (let i = 0; i < 100 && !cancelled; i++) await new Promise((r) => setTimeout(r, 10));
  expect(cancelled).toBe(true);
});
