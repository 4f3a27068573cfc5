// The encoder through its gRPC API (EncoderService.Embed), for the embedding-similarity metric.
// Outputs and expected outputs are both answers, so both go through the document tower. Calls
// are interactive: an item embeds two texts under a 10 s deadline that fails the run when it
// expires, so they must not wait behind the batches of an ingestion.
import { credentials } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import type { Embedder } from '../domain/evaluation/ports';
import { callPeer, grpcClientOptions } from '@llmops/platform';

export class GrpcEmbedder implements Embedder {
  private readonly client: encoderV1.EncoderServiceClient;

  constructor(address: string, private readonly model: string, private readonly deadlineMs = 10_000) {
    this.client = new encoderV1.EncoderServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async embed(texts: string[], signal: AbortSignal): Promise<Float32Array[]> {
    const res = await callPeer(
      this.client.embed.bind(this.client),
      { model: this.model, inputType: encoderV1.InputType.INPUT_TYPE_DOCUMENT, texts, priority: encoderV1.Priority.PRIORITY_INTERACTIVE },
      { deadlineMs: this.deadlineMs, idempotent: true },
      signal,
      'encoder',
    );
    return unpackFloat32LE(res.vectors, res.dimensions);
  }

  close(): void {
    this.client.close();
  }
}
