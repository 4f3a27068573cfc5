// The prompt registry through its gRPC API (GetVersion, RenderPrompt).
import { credentials } from '@grpc/grpc-js';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import type { ChatMessage, ChatRole, VersionSelector } from '../domain/model';
import type { PromptRegistry, RenderedVersion, VersionInfo } from '../domain/ports';
import { untrustedInputMetadataKey } from '../domain/untrusted-data';
import { callPeer, grpcClientOptions } from '@llmops/platform';

const dependency = 'prompt-registry';

export class GrpcPromptRegistry implements PromptRegistry {
  private readonly client: pb.PromptRegistryServiceClient;

  constructor(address: string, private readonly deadlineMs = 5_000) {
    this.client = new pb.PromptRegistryServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async getVersion(promptName: string, selector: VersionSelector, signal: AbortSignal): Promise<VersionInfo> {
    const res = await callPeer(
      this.client.getVersion.bind(this.client),
      { ref: toRef(promptName, selector) },
      { deadlineMs: this.deadlineMs, idempotent: true },
      signal,
      dependency,
    );
    return toVersionInfo(res.version!);
  }

  async render(promptName: string, selector: VersionSelector, variables: Record<string, unknown>, signal: AbortSignal): Promise<RenderedVersion> {
    const res = await callPeer(
      this.client.renderPrompt.bind(this.client),
      { ref: toRef(promptName, selector), variablesJson: JSON.stringify(variables) },
      { deadlineMs: this.deadlineMs, idempotent: true },
      signal,
      dependency,
    );
    const version = toVersionInfo(res.version!);
    const messages: ChatMessage[] =
      res.version!.kind === 'CHAT' ? res.messages.map((m) => ({ role: m.role as ChatRole, content: m.content })) : [{ role: 'USER', content: res.text }];
    return { version, messages };
  }

  close(): void {
    this.client.close();
  }
}

function toRef(promptName: string, s: VersionSelector): pb.PromptVersionRef {
  const selector: pb.PromptVersionRef['selector'] =
    s.kind === 'number' ? { $case: 'version', value: s.number } : s.kind === 'alias' ? { $case: 'alias', value: s.alias } : { $case: 'latest', value: true };
  return { promptName, selector };
}

function toVersionInfo(v: pb.PromptVersion): VersionInfo {
  const p = v.modelParameters;
  return {
    id: v.id,
    promptId: v.promptId,
    promptName: v.promptName,
    number: v.number,
    modelParameters: {
      model: p?.model,
      temperature: p?.temperature,
      maxTokens: p?.maxTokens,
      topP: p?.topP,
      stop: p?.stop.length ? p.stop : undefined,
      seed: p?.seed,
    },
    variables: v.variables.map((x) => ({ name: x.name, required: x.required, hasDefault: x.defaultJson !== '', type: x.type })),
    augmentation: v.augmentation.map((a) => ({ ...a })),
    untrustedInput: metadataFlag(v.metadataJson, untrustedInputMetadataKey),
  };
}

function metadataFlag(metadataJson: string, key: string): boolean {
  if (!metadataJson) return false;
  try {
    const metadata = JSON.parse(metadataJson) as unknown;
    return typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>)[key] === true;
  } catch {
    return false;
  }
}
