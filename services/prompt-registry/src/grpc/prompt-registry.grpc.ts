import { InputError, type GrpcServer } from '@llmops/platform';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import type { PromptVersion, VersionSelector } from '../domain/model';
import type { PromptService } from '../domain/prompt-service';

export function promptRegistryGrpc(server: GrpcServer, prompts: PromptService): pb.PromptRegistryServiceServer {
  const service = 'llmops.prompt_registry.v1.PromptRegistryService';
  return {
    getVersion: server.unary(service, 'GetVersion', async (request: pb.GetVersionRequest) => {
      const ref = request.ref;
      if (!ref?.promptName) throw new InputError('ref.prompt_name is required', 'ref.prompt_name');
      const version = await prompts.getVersion(ref.promptName, toSelector(ref.selector));
      return { version: toMessage(version) };
    }),
  };
}

function toSelector(selector: pb.PromptVersionRef['selector']): VersionSelector {
  if (selector?.$case === 'version') return { kind: 'number', number: selector.value };
  if (selector?.$case === 'latest' && selector.value) return { kind: 'latest' };
  throw new InputError('ref.selector: set version or latest', 'ref.selector');
}

const toMessage = (v: PromptVersion): pb.PromptVersion => ({
  id: v.id,
  promptId: v.promptId,
  promptName: v.promptName,
  number: v.number,
  template: v.template,
  commitMessage: v.commitMessage,
  createdAt: v.createdAt.toISOString(),
});
