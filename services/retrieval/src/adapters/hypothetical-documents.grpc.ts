// HyDE's writer: the generation service's GenerateHypotheticalDocuments (each passage a recorded
// generation). Not idempotent, so never retried; an unreachable or overloaded generation service
// is UnavailableError('generation').
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { generationV1 } from '@llmops/contracts';
import { callUnary, grpcClientOptions, InputError, UnavailableError } from '@llmops/platform';
import type { HypotheticalDocumentWriter } from '../domain/ports';
import { HydeUnavailableError } from '../domain/errors';

export interface HydeGenerationOptions {
  /** Empty: the generation service's default model. */
  model: string;
  maxTokens: number;
  temperature: number;
  deadlineMs: number;
}

export class GrpcHypotheticalDocumentWriter implements HypotheticalDocumentWriter {
  private readonly client: generationV1.GeneratorServiceClient;

  constructor(
    address: string,
    private readonly opts: HydeGenerationOptions,
  ) {
    this.client = new generationV1.GeneratorServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async write(query: string, count: number): Promise<string[]> {
    try {
      const res = await callUnary(
        this.client.generateHypotheticalDocuments.bind(this.client),
        { query, n: count, model: this.opts.model, maxTokens: this.opts.maxTokens, temperature: this.opts.temperature },
        { deadlineMs: this.opts.deadlineMs },
      );
      return res.documents;
    } catch (err) {
      const e = err as ServiceError;
      switch (e.code) {
        case status.INVALID_ARGUMENT:
          throw new InputError(`query: the generation service refused it: ${e.details}`, 'query');
        case status.NOT_FOUND:
          // A configuration problem of this service (HYDE_MODEL), not of the caller's request.
          throw new HydeUnavailableError(`the generation service does not know the model ${this.opts.model || '(default)'}: ${e.details}`);
        case undefined:
          throw err;
        default:
          throw new UnavailableError('generation', { cause: err });
      }
    }
  }

  close(): void {
    this.client.close();
  }
}
