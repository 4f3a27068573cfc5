// gRPC message size limits on a real server: a request over the server's limit is refused with
// RESOURCE_EXHAUSTED before the handler runs, and the server keeps serving.
import { credentials, status } from '@grpc/grpc-js';
import pino from 'pino';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary, createMetrics, GrpcServer, Lifecycle, NotFoundError, InternalAuth } from '../src';

const logger = pino({ level: 'silent' });

test('a request larger than maxMessageBytes is RESOURCE_EXHAUSTED and never reaches the handler', async () => {
  const lifecycle = new Lifecycle(logger);
  const server = new GrpcServer({ logger, metrics: createMetrics('test'), lifecycle, auth: InternalAuth.open(), host: '127.0.0.1', port: 0, maxMessageBytes: 1024 });
  const seen: number[] = [];
  server.addService('llmops.prompt_registry.v1.PromptRegistryService', pb.PromptRegistryServiceService, {
    getVersion: server.unary('PromptRegistryService', 'GetVersion', 'reader', async (req: pb.GetVersionRequest) => {
      seen.push(req.ref!.promptName.length);
      throw new NotFoundError('Prompt', 'x');
    }),
  });
  const port = await server.start();
  const client = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const get = (promptName: string) => callUnary(client.getVersion.bind(client), { ref: { promptName, selector: undefined } }, { deadlineMs: 2_000 });
  try {
    await expect(get('x'.repeat(4096))).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    await expect(get('small')).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(seen).toEqual([5]);
  } finally {
    client.close();
    await lifecycle.shutdown('test');
  }
});
