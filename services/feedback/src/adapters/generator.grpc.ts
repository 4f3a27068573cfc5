// The generation service through its gRPC API (GeneratorService.Generate), for evaluation runs
// and their judge prompts. Generate is not idempotent: never retried here.
import { credentials } from '@grpc/grpc-js';
import { generationV1, promptRegistryV1 } from '@llmops/contracts';
import { PeerServiceError } from '../domain/evaluation/errors';
import type { GenerationParameters, PromptRef } from '../domain/evaluation/model';
import type { GeneratedText, Generator } from '../domain/evaluation/ports';
import { callPeer, grpcClientOptions } from '@llmops/platform';

const toRef = (p: PromptRef): promptRegistryV1.PromptVersionRef => ({
  promptName: p.name,
  selector:
    p.version !== null
      ? { $case: 'version', value: p.version }
      : p.alias !== null
        ? { $case: 'alias', value: p.alias }
        : { $case: 'latest', value: true },
});

export class GrpcGenerator implements Generator {
  private readonly client: generationV1.GeneratorServiceClient;

  constructor(address: string, private readonly deadlineMs: number) {
    this.client = new generationV1.GeneratorServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async generate(prompt: PromptRef, variables: Record<string, unknown>, parameters: GenerationParameters, signal: AbortSignal): Promise<GeneratedText> {
    const res = await callPeer(
      this.client.generate.bind(this.client),
      {
        prompt: { $case: 'registered', value: toRef(prompt) },
        variablesJson: JSON.stringify(variables),
        model: '',
        parameters: {
          maxTokens: parameters.maxTokens ?? undefined,
          temperature: parameters.temperature ?? undefined,
          seed: parameters.seed ?? undefined,
          stop: [],
        },
        n: 1,
        sessionId: '',
      },
      { deadlineMs: this.deadlineMs },
      signal,
      'generation',
    );
    const g = res.generations[0];
    if (!g) throw new PeerServiceError('INTERNAL_SERVER_ERROR', 'the generation service answered no generation', {});
    if (g.status !== generationV1.GenerationStatus.GENERATION_STATUS_SUCCEEDED) {
      throw new PeerServiceError('INTERNAL_SERVER_ERROR', `generation ${g.id} did not succeed (finish reason ${generationV1.FinishReason[g.finishReason]})`, {
        generationId: g.id,
      });
    }
    return { generationId: g.id, output: g.output, citedDocumentIds: g.retrievedDocumentIds };
  }

  close(): void {
    this.client.close();
  }
}
