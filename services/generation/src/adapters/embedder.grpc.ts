// The encoder through its gRPC API, for pipelines' embedding nodes (document tower).
import { credentials } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import type { Embedder } from '../domain/pipeline-service';
import { callPeer, grpcClientOptions } from '@llmops/platform';

export class GrpcEmbedder implements Embedder {
  private readonly client: encoderV1.EncoderServiceClient;

  constructor(address: string, private readonly deadlineMs = 10_000) {
    this.client = new encoderV1.EncoderServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async embed(texts: string[], model: string | null, signal: AbortSignal): Promise<number[][]> {
    const res = await callPeer(
      this.client.embed.bind(this.client),
      { model: model ?? '', inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts, priority: encoderV1.Priority.PRIORITY_INTERACTIVE },
      { deadlineMs: this.deadlineMs, idempotent: true },
      signal,
      'encoder',
    );
    return unpackFloat32LE(res.vectors, res.dimensions).map((v) => Array.from(v));
  }

  close(): void {
    this.client.close();
  }
}
