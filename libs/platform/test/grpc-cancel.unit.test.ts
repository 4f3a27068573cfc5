// Real gRPC servers on port 0: a call the client cancels or lets expire is recorded as CANCELLED /
// DEADLINE_EXCEEDED (not a failed handler), a retried call keeps one deadline for all its
// attempts, and the platform's client channel options spread calls over every address.
import { Writable } from 'node:stream';
import { credentials, status } from '@grpc/grpc-js';
import pino from 'pino';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary, createMetrics, grpcClientOptions, GrpcServer, InternalAuth, Lifecycle, UnavailableError } from '../src';

const request: pb.GetVersionRequest = { ref: { promptName: 'p', selector: { $case: 'latest', value: true } } };

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().trim().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function startServer(getVersion: (req: pb.GetVersionRequest, ctx: { signal: AbortSignal }) => Promise<pb.GetVersionResponse>) {
  const { logger, lines } = captureLogs();
  const metrics = createMetrics('test');
  const lifecycle = new Lifecycle(pino({ level: 'silent' }));
  const server = new GrpcServer({ logger, metrics, lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0 });
  server.addService('llmops.prompt_registry.v1.PromptRegistryService', pb.PromptRegistryServiceService, {
    getVersion: server.unary('PromptRegistryService', 'GetVersion', 'reader', getVersion),
  });
  const port = await server.start();
  const codes = async () => {
    const metric = await metrics.registry.getSingleMetric('grpc_server_handling_seconds')!.get();
    const counts = metric.values as Array<{ metricName?: string; value: number; labels: Record<string, string | number> }>;
    return counts.filter((v) => v.metricName === 'grpc_server_handling_seconds_count' && v.value > 0).map((v) => v.labels.grpc_code);
  };
  return { lifecycle, port, lines, codes };
}

/** A handler that stops with an AbortError when its signal aborts, as fetch and timers do. */
const untilAborted = (_req: pb.GetVersionRequest, { signal }: { signal: AbortSignal }) =>
  new Promise<pb.GetVersionResponse>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')));
  });

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a call the client cancels is recorded CANCELLED and not logged as a failure', async () => {
  const { lifecycle, port, lines, codes } = await startServer(untilAborted);
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const controller = new AbortController();
    const call = callUnary(client.getVersion.bind(client), request, { deadlineMs: 5_000, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(new Error('gone'));
    await expect(call).rejects.toThrow('gone');
    await waitUntil(async () => (await codes()).length > 0);
    expect(await codes()).toEqual(['CANCELLED']);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  } finally {
    client.close();
    await lifecycle.shutdown('test');
  }
});

test('a call whose deadline passes is recorded DEADLINE_EXCEEDED and not logged as a failure', async () => {
  const { lifecycle, port, lines, codes } = await startServer(untilAborted);
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    await expect(callUnary(client.getVersion.bind(client), request, { deadlineMs: 100 })).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    await waitUntil(async () => (await codes()).length > 0);
    expect(await codes()).toEqual(['DEADLINE_EXCEEDED']);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  } finally {
    client.close();
    await lifecycle.shutdown('test');
  }
});

test('a retried idempotent call keeps one deadline for all its attempts', async () => {
  let attempts = 0;
  const { lifecycle, port } = await startServer(async () => {
    attempts++;
    await new Promise((r) => setTimeout(r, 250));
    throw new UnavailableError('store');
  });
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const started = Date.now();
    const err = await callUnary(client.getVersion.bind(client), request, { deadlineMs: 400, idempotent: true, maxAttempts: 3 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    // Per-attempt deadlines would take three 250 ms attempts plus backoff (~800 ms) and end UNAVAILABLE.
    expect(elapsed).toBeLessThan(600);
    expect(attempts).toBe(2);
  } finally {
    client.close();
    await lifecycle.shutdown('test');
  }
});

test('the deadline also bounds the pause between attempts', async () => {
  // Nothing listens on port 1: each attempt fails at once with UNAVAILABLE.
  const client = new pb.PromptRegistryServiceClient('127.0.0.1:1', credentials.createInsecure());
  try {
    const started = Date.now();
    const err = await callUnary(client.getVersion.bind(client), request, { deadlineMs: 300, idempotent: true, maxAttempts: 1_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(800);
    expect((err as { code: number }).code).toBe(status.DEADLINE_EXCEEDED);
  } finally {
    client.close();
  }
});

test('client channel options balance calls round-robin over every address of the target', async () => {
  const config = JSON.parse(grpcClientOptions()['grpc.service_config'] as string) as { loadBalancingConfig: unknown[] };
  expect(config.loadBalancingConfig).toEqual([{ round_robin: {} }]);
  expect(grpcClientOptions({ 'grpc.max_receive_message_length': 1024 })).toMatchObject({ 'grpc.max_receive_message_length': 1024, 'grpc.service_config': expect.any(String) });

  const served: string[] = [];
  const servers = await Promise.all(
    ['a', 'b'].map((name) =>
      startServer(async () => {
        served.push(name);
        return { version: undefined };
      }),
    ),
  );
  // What `dns:///<name>-grpc:<port>` resolves to against a headless Service: several pods.
  const target = `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}`;
  const balanced = new pb.PromptRegistryServiceClient(target, credentials.createInsecure(), grpcClientOptions());
  const pinned = new pb.PromptRegistryServiceClient(target, credentials.createInsecure());
  try {
    for (let i = 0; i < 10; i++) await callUnary(balanced.getVersion.bind(balanced), request, { deadlineMs: 2_000 });
    // Both addresses take calls (the first ones may all go to the first connection ready).
    expect(served.filter((s) => s === 'a').length).toBeGreaterThanOrEqual(3);
    expect(served.filter((s) => s === 'b').length).toBeGreaterThanOrEqual(3);
    // grpc-js's default (pick_first) sends everything to one address.
    served.length = 0;
    for (let i = 0; i < 10; i++) await callUnary(pinned.getVersion.bind(pinned), request, { deadlineMs: 2_000 });
    expect(new Set(served).size).toBe(1);
  } finally {
    balanced.close();
    pinned.close();
    for (const s of servers) await s.lifecycle.shutdown('test');
  }
});
