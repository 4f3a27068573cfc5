// The encoder's gRPC API (llmops.encoder.v1.EncoderService/Embed) behind the Embedder port.
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { encoderV1, unpackFloat32LE } from '@llmops/contracts';
import { callUnary, grpcClientOptions, InputError, UnavailableError } from '@llmops/platform';
import type { EmbedPriority, Embedder, Embeddings, InputType } from '../domain/ports';
import { EncoderRejection, UnknownReferenceError } from '../domain/errors';

export class GrpcEmbedder implements Embedder {
  private readonly client: encoderV1.EncoderServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs: number,
  ) {
    this.client = new encoderV1.EncoderServiceClient(address, credentials.createInsecure(), grpcClientOptions({
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    }));
  }

  async embed(model: string | null, inputType: InputType, texts: string[], signal?: AbortSignal, priority: EmbedPriority = 'interactive'): Promise<Embeddings> {
    try {
      const res = await callUnary(
        this.client.embed.bind(this.client),
        {
          model: model ?? '',
          inputType: inputType === 'QUERY' ? encoderV1.InputType.INPUT_TYPE_QUERY : encoderV1.InputType.INPUT_TYPE_DOCUMENT,
          texts,
          priority: priority === 'batch' ? encoderV1.Priority.PRIORITY_BATCH : encoderV1.Priority.PRIORITY_INTERACTIVE,
        },
        // The caller's signal cancels the call on the wire: the encoder drops it from its queue.
        { deadlineMs: this.deadlineMs, idempotent: true, signal },
      );
      return {
        model: res.model,
        dimensions: res.dimensions,
        vectors: unpackFloat32LE(res.vectors, res.dimensions),
        tower: res.tower ? { baseModel: res.tower.baseModel, prefix: res.tower.prefix } : null,
      };
    } catch (err) {
      if (signal?.aborted) throw signal.reason as Error;
      throw translate(err as ServiceError, model);
    }
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Only refusals tied to the request (a text, the model) are the caller's to act on; anything else
 * the encoder answers (INTERNAL, UNKNOWN, an outage, a response that does not unpack) says nothing
 * about the texts, so it is UnavailableError: ingestion waits and retries rather than
 * dead-lettering every document of the batch, and a search is UNAVAILABLE, not a 500.
 */
function translate(err: ServiceError, model: string | null): Error {
  if (typeof err.code !== 'number') return new UnavailableError('encoder', { cause: err });
  const details = detailsOf(err);
  switch (err.code) {
    case status.NOT_FOUND:
      return new UnknownReferenceError('EmbeddingModel', model ?? '(default)', 'model', Array.isArray(details['known']) ? (details['known'] as string[]) : undefined);
    case status.INVALID_ARGUMENT: {
      const field = typeof details['field'] === 'string' ? details['field'] : '';
      const match = /^texts\.(\d+)$/.exec(field);
      if (match) return new EncoderRejection(err.details, Number(match[1]));
      if (field === 'texts') return new EncoderRejection(err.details, null);
      return new InputError(`encoder: ${err.details}`, field || 'model');
    }
    default:
      return new UnavailableError('encoder', { cause: err });
  }
}

function detailsOf(err: ServiceError): Record<string, unknown> {
  const raw = err.metadata?.get('error-details-json')[0];
  if (typeof raw !== 'string') return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}
