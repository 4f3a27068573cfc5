// The generation service's record of a generation (gRPC GeneratorService.GetGeneration), asked
// when feedback names a generation whose generation.completed.v1 event has not reached this
// service yet. GetGeneration is a read: retried on UNAVAILABLE under the platform's call policy.
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { generationV1 } from '@llmops/contracts';
import { callUnary, grpcClientOptions, UnavailableError } from '@llmops/platform';
import type { GenerationFact } from '../domain/feedback/model';
import type { GenerationLookup } from '../domain/feedback/ports';

const statuses: Partial<Record<generationV1.GenerationStatus, GenerationFact['status']>> = {
  [generationV1.GenerationStatus.GENERATION_STATUS_SUCCEEDED]: 'SUCCEEDED',
  [generationV1.GenerationStatus.GENERATION_STATUS_FAILED]: 'FAILED',
  [generationV1.GenerationStatus.GENERATION_STATUS_CANCELLED]: 'CANCELLED',
};

export function toGenerationFact(g: generationV1.Generation): GenerationFact {
  const status = statuses[g.status];
  if (!status) throw new Error(`the generation service answered generation ${g.id} with status ${g.status}`);
  return {
    generationId: g.id,
    status,
    promptVersionId: g.promptVersionId || null,
    promptName: g.promptName || null,
    model: g.model || null,
    latencyMs: g.latencyMs,
    timeToFirstTokenMs: g.timeToFirstTokenMs ?? null,
    promptTokens: g.promptTokens ?? null,
    completionTokens: g.completionTokens ?? null,
    createdAt: new Date(g.createdAt),
  };
}

export class GrpcGenerationLookup implements GenerationLookup {
  private readonly client: generationV1.GeneratorServiceClient;

  constructor(
    address: string,
    private readonly deadlineMs: number,
  ) {
    this.client = new generationV1.GeneratorServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async find(generationId: string): Promise<GenerationFact | null> {
    let res: generationV1.GetGenerationResponse;
    try {
      res = await callUnary(this.client.getGeneration.bind(this.client), { id: generationId }, { deadlineMs: this.deadlineMs, idempotent: true });
    } catch (err) {
      if ((err as Partial<ServiceError>).code === status.NOT_FOUND) return null;
      throw new UnavailableError('generation', { cause: err });
    }
    if (!res.generation) throw new UnavailableError('generation', { cause: new Error('GetGeneration answered no generation') });
    return toGenerationFact(res.generation);
  }

  close(): void {
    this.client.close();
  }
}
