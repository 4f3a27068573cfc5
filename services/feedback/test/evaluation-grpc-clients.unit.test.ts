// The evaluation's gRPC clients against a real gRPC server on port 0 that plays the peer's API:
// request mapping, typed errors from the error-code trailer, and cancellation on the wire; and the
// feedback's GetGeneration lookup (a generation's facts, null for NOT_FOUND, retried on UNAVAILABLE).
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { encoderV1, generationV1 as pb, packFloat32LE } from '@llmops/contracts';
import { GrpcEmbedder } from '../src/adapters/embedder.grpc';
import { GrpcGenerator } from '../src/adapters/generator.grpc';
import { GrpcGenerationLookup } from '../src/adapters/generation-lookup.grpc';
import { UnavailableError } from '@llmops/platform';

type Handler = (call: ServerUnaryCall<pb.GenerateRequest, pb.GenerateResponse>, callback: sendUnaryData<pb.GenerateResponse>) => void;
let handler: Handler;
let getGeneration: (call: ServerUnaryCall<pb.GetGenerationRequest, pb.GetGenerationResponse>, callback: sendUnaryData<pb.GetGenerationResponse>) => void;
const server = new Server();
let address: string;
const embedRequests: encoderV1.EmbedRequest[] = [];

beforeAll(async () => {
  server.addService(pb.GeneratorServiceService, {
    generate: (call: ServerUnaryCall<pb.GenerateRequest, pb.GenerateResponse>, cb: sendUnaryData<pb.GenerateResponse>) => handler(call, cb),
    generateStream: () => undefined,
    generateHypotheticalDocuments: () => undefined,
    getGeneration: (call: ServerUnaryCall<pb.GetGenerationRequest, pb.GetGenerationResponse>, cb: sendUnaryData<pb.GetGenerationResponse>) => getGeneration(call, cb),
  });
  server.addService(encoderV1.EncoderServiceService, {
    embed: (call: ServerUnaryCall<encoderV1.EmbedRequest, encoderV1.EmbedResponse>, cb: sendUnaryData<encoderV1.EmbedResponse>) => {
      embedRequests.push(call.request);
      const vectors = call.request.texts.map((t) => Float32Array.from([t.length, 1]));
      cb(null, { model: call.request.model || 'default', dimensions: 2, vectors: packFloat32LE(vectors, 2), tokenCounts: [], truncated: [] });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.forceShutdown());

const generation = (over: Partial<pb.Generation>): pb.Generation =>
  pb.Generation.fromPartial({ id: 'g-1', status: pb.GenerationStatus.GENERATION_STATUS_SUCCEEDED, output: 'Paris', ...over });
const params = { maxTokens: 8, temperature: 0, seed: 3 };

test('Generate: the prompt reference, variables and parameters go out; output and cited documents come back', async () => {
  const requests: pb.GenerateRequest[] = [];
  handler = (call, cb) => {
    requests.push(call.request);
    cb(null, { generations: [generation({ retrievedDocumentIds: ['d1', 'd2'] })] });
  };
  const client = new GrpcGenerator(address, 5_000);
  const out = await client.generate({ name: 'qa', version: null, alias: 'production' }, { q: 'x' }, params, new AbortController().signal);
  expect(out).toEqual({ generationId: 'g-1', output: 'Paris', citedDocumentIds: ['d1', 'd2'] });
  await client.generate({ name: 'qa', version: 3, alias: null }, {}, { maxTokens: null, temperature: null, seed: null }, new AbortController().signal);
  await client.generate({ name: 'qa', version: null, alias: null }, {}, params, new AbortController().signal);
  expect(requests.map((r) => r.prompt)).toEqual([
    { $case: 'registered', value: { promptName: 'qa', selector: { $case: 'alias', value: 'production' } } },
    { $case: 'registered', value: { promptName: 'qa', selector: { $case: 'version', value: 3 } } },
    { $case: 'registered', value: { promptName: 'qa', selector: { $case: 'latest', value: true } } },
  ]);
  expect(JSON.parse(requests[0]!.variablesJson)).toEqual({ q: 'x' });
  expect(requests[0]!.parameters).toMatchObject({ maxTokens: 8, temperature: 0, seed: 3 });
  expect(requests[1]!.parameters).toMatchObject({ maxTokens: undefined, temperature: undefined, seed: undefined });
  client.close();
});

test('typed errors: the error-code trailer, unreachable peers, failed generations', async () => {
  const client = new GrpcGenerator(address, 5_000);
  const call = () => client.generate({ name: 'qa', version: null, alias: null }, {}, params, new AbortController().signal);
  handler = (_, cb) => {
    const metadata = new Metadata();
    metadata.set('error-code', 'BAD_USER_INPUT');
    metadata.set('error-details-json', JSON.stringify({ field: 'variables' }));
    cb({ code: status.INVALID_ARGUMENT, details: 'question: missing', metadata });
  };
  await expect(call()).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: 'question: missing', details: { field: 'variables' } });
  handler = (_, cb) => cb({ code: status.NOT_FOUND, details: 'prompt not found: qa' });
  await expect(call()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  handler = (_, cb) => cb(null, { generations: [generation({ status: pb.GenerationStatus.GENERATION_STATUS_FAILED, finishReason: pb.FinishReason.FINISH_REASON_ERROR })] });
  await expect(call()).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: expect.stringContaining('FINISH_REASON_ERROR') });
  client.close();
  const nowhere = new GrpcGenerator('127.0.0.1:1', 2_000);
  await expect(nowhere.generate({ name: 'qa', version: null, alias: null }, {}, params, new AbortController().signal)).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    dependency: 'generation',
  });
  nowhere.close();
});

test('aborting cancels the call on the wire, so the generation service stops working on it', async () => {
  let cancelled!: () => void;
  const sawCancel = new Promise<void>((resolve) => (cancelled = resolve));
  handler = (call) => call.on('cancelled', () => cancelled()); // never answers
  const client = new GrpcGenerator(address, 30_000);
  const controller = new AbortController();
  const pending = client.generate({ name: 'qa', version: null, alias: null }, {}, params, controller.signal);
  await new Promise((r) => setTimeout(r, 100));
  controller.abort(new Error('run cancelled'));
  await expect(pending).rejects.toThrow('run cancelled');
  await sawCancel;
  client.close();
});

test('Embed: vectors unpacked in order, document tower, configured model', async () => {
  const embedder = new GrpcEmbedder(address, 'mini');
  const vectors = await embedder.embed(['ab', 'abcd'], new AbortController().signal);
  expect(vectors.map((v) => Array.from(v))).toEqual([
    [2, 1],
    [4, 1],
  ]);
  expect(embedRequests).toEqual([{ model: 'mini', inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts: ['ab', 'abcd'], priority: encoderV1.Priority.PRIORITY_INTERACTIVE }]);
  embedder.close();
});

test('GetGeneration lookup: the facts of a generation, null when NOT_FOUND, retried on UNAVAILABLE then UNAVAILABLE naming generation', async () => {
  const asked: string[] = [];
  let unavailableFor = 0;
  getGeneration = (call, cb) => {
    asked.push(call.request.id);
    if (unavailableFor > 0) {
      unavailableFor--;
      cb({ code: status.UNAVAILABLE, details: 'busy' });
      return;
    }
    if (call.request.id !== 'g-7') {
      const metadata = new Metadata();
      metadata.set('error-code', 'NOT_FOUND');
      cb({ code: status.NOT_FOUND, details: 'Generation not found', metadata });
      return;
    }
    cb(null, {
      generation: generation({
        id: 'g-7',
        status: pb.GenerationStatus.GENERATION_STATUS_FAILED,
        promptVersionId: 'v-1',
        promptName: 'qa',
        model: 'm',
        latencyMs: 120,
        completionTokens: 3,
        createdAt: '2026-01-01T00:00:00.000Z',
      }),
    });
  };
  const lookup = new GrpcGenerationLookup(address, 5_000);
  await expect(lookup.find('g-7')).resolves.toEqual({
    generationId: 'g-7',
    status: 'FAILED',
    promptVersionId: 'v-1',
    promptName: 'qa',
    model: 'm',
    latencyMs: 120,
    timeToFirstTokenMs: null,
    promptTokens: null,
    completionTokens: 3,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
  });
  await expect(lookup.find('g-unknown')).resolves.toBeNull();
  unavailableFor = 1;
  await expect(lookup.find('g-7')).resolves.toMatchObject({ generationId: 'g-7' });
  unavailableFor = 10;
  const err = await lookup.find('g-7').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect((err as UnavailableError).dependency).toBe('generation');
  expect(asked).toEqual(['g-7', 'g-unknown', 'g-7', 'g-7', 'g-7', 'g-7', 'g-7']);
  lookup.close();
});
