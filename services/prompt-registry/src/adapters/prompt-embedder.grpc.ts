import { credentials } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import { callUnary, grpcClientOptions, UnavailableError } from '@llmops/platform';
import type { PromptEmbedder } from '../domain/similarity';

/** Embeds prompt texts through the encoder service's gRPC API. */
export class GrpcPromptEmbedder implements PromptEmbedder {
  private readonly client: encoderV1.EncoderServiceClient;

  constructor(address: string, private readonly model: string, private readonly deadlineMs = 10_000) {
    this.client = new encoderV1.EncoderServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async embed(texts: string[], inputType: 'QUERY' | 'DOCUMENT') {
    try {
      const res = await callUnary(
        this.client.embed.bind(this.client),
        {
          model: this.model,
          inputType: inputType === 'QUERY' ? encoderV1.InputType.INPUT_TYPE_QUERY : encoderV1.InputType.INPUT_TYPE_DOCUMENT,
          texts,
          priority: encoderV1.Priority.PRIORITY_INTERACTIVE,
        },
        { deadlineMs: this.deadlineMs, idempotent: true },
      );
      return { model: res.model, vectors: unpackFloat32LE(res.vectors, res.dimensions) };
    } catch (err) {
      if ((err as { code?: number }).code === 14 || (err as { code?: number }).code === 4) throw new UnavailableError('encoder', { cause: err });
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
