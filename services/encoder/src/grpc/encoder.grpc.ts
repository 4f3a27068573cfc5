import { InputError, type GrpcServer } from '@llmops/platform';
import { encoderV1 as pb, packFloat32LE } from '@llmops/contracts';
import type { InputType } from '../domain/embedding-model';
import type { EmbeddingService } from '../domain/embedding-service';

export const encoderServiceName = 'llmops.encoder.v1.EncoderService';

export function encoderGrpc(server: GrpcServer, embeddings: EmbeddingService): pb.EncoderServiceServer {
  return {
    embed: server.unary(encoderServiceName, 'Embed', 'reader', async (request: pb.EmbedRequest, { signal }) => {
      const result = await embeddings.embed(
        {
          model: request.model || null,
          inputType: toInputType(request.inputType),
          texts: request.texts,
          priority: request.priority === pb.Priority.PRIORITY_BATCH ? 'batch' : 'interactive',
        },
        signal,
      );
      return {
        model: result.model,
        dimensions: result.dimensions,
        vectors: packFloat32LE(result.vectors, result.dimensions),
        tokenCounts: result.tokenCounts,
        truncated: result.truncated,
        tower: result.tower,
      };
    }),
  };
}

function toInputType(t: pb.InputType): InputType {
  switch (t) {
    case pb.InputType.INPUT_TYPE_QUERY:
      return 'QUERY';
    case pb.InputType.INPUT_TYPE_DOCUMENT:
      return 'DOCUMENT';
    default:
      throw new InputError('input_type: set INPUT_TYPE_QUERY or INPUT_TYPE_DOCUMENT', 'input_type');
  }
}
