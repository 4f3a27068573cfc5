// A real gRPC server on port 0 (no mocked transport): the unary adapter answers once, maps domain
// errors to statuses, and health turns NOT_SERVING on shutdown.
import { credentials, status } from '@grpc/grpc-js';
import pino from 'pino';
import { health, promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary, createMetrics, GrpcServer, InputError, Lifecycle, NotFoundError, InternalAuth } from '../src';

const logger = pino({ level: 'silent' });

async function startServer(getVersion: (req: pb.GetVersionRequest) => Promise<pb.GetVersionResponse>) {
  const lifecycle = new Lifecycle(logger);
  const server = new GrpcServer({ logger, metrics: createMetrics('test'), lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService('llmops.prompt_registry.v1.PromptRegistryService', pb.PromptRegistryServiceService, {
    getVersion: server.unary('PromptRegistryService', 'GetVersion', 'reader', getVersion),
  });
  const port = await server.start();
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const healthClient = new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return { lifecycle, client, healthClient };
}

const request: pb.GetVersionRequest = { ref: { promptName: 'p', selector: { $case: 'latest', value: true } } };

test('domain errors become gRPC statuses with their details', async () => {
  let calls = 0;
  const { lifecycle, client, healthClient } = await startServer(async (req) => {
    calls++;
    if (req.ref?.promptName === 'bad') throw new InputError('ref.prompt_name: bad', 'ref.prompt_name');
    // What pg throws when PostgreSQL shuts down under a query, unmapped by the adapter.
    if (req.ref?.promptName === 'pg-down') throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    if (req.ref?.promptName === 'bug') throw new TypeError('cannot read properties of undefined');
    throw new NotFoundError('Prompt', req.ref!.promptName);
  });
  try {
    const get = (promptName: string) =>
      callUnary(client.getVersion.bind(client), { ref: { promptName, selector: undefined } }, { deadlineMs: 2_000 });
    await expect(get('missing')).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'Prompt not found: missing' });
    const err = await get('bad').catch((e) => e);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(JSON.parse(err.metadata.get('error-details-json')[0])).toEqual({ field: 'ref.prompt_name' });
    const down = await get('pg-down').catch((e) => e);
    expect({ code: down.code, details: JSON.parse(down.metadata.get('error-details-json')[0]) }).toEqual({ code: status.UNAVAILABLE, details: { dependency: 'postgresql' } });
    await expect(get('bug')).rejects.toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(calls).toBe(4);
  } finally {
    client.close();
    healthClient.close();
    await lifecycle.shutdown('test');
  }
});

test('a handler slower than the deadline yields DEADLINE_EXCEEDED, and only one answer', async () => {
  const { lifecycle, client, healthClient } = await startServer(
    () => new Promise((resolve) => setTimeout(() => resolve({ version: undefined }), 300)),
  );
  try {
    await expect(callUnary(client.getVersion.bind(client), request, { deadlineMs: 50 })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    await new Promise((r) => setTimeout(r, 400));
    // The server is still healthy after the late answer was dropped.
    const res = await callUnary(healthClient.check.bind(healthClient), { service: '' }, { deadlineMs: 1_000 });
    expect(res.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
  } finally {
    client.close();
    healthClient.close();
    await lifecycle.shutdown('test');
  }
});

test('health watchers see NOT_SERVING when the server begins to drain', async () => {
  const { lifecycle, client, healthClient } = await startServer(async () => ({ version: undefined }));
  const seen: number[] = [];
  const stream = healthClient.watch({ service: 'llmops.prompt_registry.v1.PromptRegistryService' });
  stream.on('data', (r: health.HealthCheckResponse) => seen.push(r.status));
  stream.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 200));
  await lifecycle.shutdown('test');
  await new Promise((r) => setTimeout(r, 100));
  expect(seen).toEqual([health.HealthCheckResponse_ServingStatus.SERVING, health.HealthCheckResponse_ServingStatus.NOT_SERVING]);
  client.close();
  healthClient.close();
});

test('idempotent calls are retried on UNAVAILABLE only', async () => {
  const client = new pb.PromptRegistryServiceClient('127.0.0.1:1', credentials.createInsecure());
  const started = Date.now();
  await expect(
    callUnary(client.getVersion.bind(client), request, { deadlineMs: 500, idempotent: true, maxAttempts: 3 }),
  ).rejects.toMatchObject({ code: status.UNAVAILABLE });
  expect(Date.now() - started).toBeLessThan(5_000);
  client.close();
});

test("the caller's signal cancels the call on the wire: the handler's own signal aborts", async () => {
  let handlerSignal: AbortSignal | undefined;
  const lifecycle = new Lifecycle(logger);
  const server = new GrpcServer({ logger, metrics: createMetrics('test'), lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService('llmops.prompt_registry.v1.PromptRegistryService', pb.PromptRegistryServiceService, {
    getVersion: server.unary('PromptRegistryService', 'GetVersion', 'reader', (_req, { signal }) => {
      handlerSignal = signal;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ version: undefined }), 2_000);
        signal.addEventListener('abort', () => clearTimeout(timer));
      });
    }),
  });
  const port = await server.start();
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    for (const idempotent of [false, true]) {
      handlerSignal = undefined;
      const controller = new AbortController();
      const call = callUnary(client.getVersion.bind(client), request, { deadlineMs: 5_000, idempotent, signal: controller.signal });
      await waitUntil(() => handlerSignal !== undefined);
      const reason = new Error('the caller went away');
      controller.abort(reason);
      await expect(call).rejects.toBe(reason);
      await waitUntil(() => handlerSignal!.aborted);
      expect(handlerSignal!.aborted).toBe(true);
    }
    // Aborted before it starts: rejected at once, nothing reaches the server.
    handlerSignal = undefined;
    const aborted = AbortSignal.abort(new Error('already gone'));
    await expect(callUnary(client.getVersion.bind(client), request, { deadlineMs: 5_000, signal: aborted })).rejects.toThrow('already gone');
    await new Promise((r) => setTimeout(r, 100));
    expect(handlerSignal).toBeUndefined();
  } finally {
    client.close();
    await lifecycle.shutdown('test');
  }
});

test('an abort while waiting to retry stops the retries with the reason', async () => {
  const client = new pb.PromptRegistryServiceClient('127.0.0.1:1', credentials.createInsecure());
  const controller = new AbortController();
  const reason = new Error('stopping');
  const call = callUnary(client.getVersion.bind(client), request, { deadlineMs: 500, idempotent: true, maxAttempts: 50, signal: controller.signal });
  setTimeout(() => controller.abort(reason), 100);
  const started = Date.now();
  await expect(call).rejects.toBe(reason);
  expect(Date.now() - started).toBeLessThan(2_000);
  client.close();
});

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
