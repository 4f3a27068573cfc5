import { InputError, type GrpcServer, type Identity } from '@llmops/platform';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import type { PromptVersion, VersionSelector } from '../domain/model';
import type { PromptService } from '../domain/prompt-service';
import { check, promptName as promptNameSchema } from '../domain/validation';

const service = 'llmops.prompt_registry.v1.PromptRegistryService';

/** `promptsFor`: the registry as the verified caller sees it (their project only). */
export function promptRegistryGrpc(server: GrpcServer, promptsFor: (identity: Identity) => PromptService): pb.PromptRegistryServiceServer {
  return {
    getVersion: server.unary(service, 'GetVersion', 'reader', async (request: pb.GetVersionRequest, { identity }) => {
      const { promptName, selector } = parseRef(request.ref);
      return { version: toMessage(await promptsFor(identity).getVersion(promptName, selector)) };
    }),
    renderPrompt: server.unary(service, 'RenderPrompt', 'reader', async (request: pb.RenderPromptRequest, { identity }) => {
      const { promptName, selector } = parseRef(request.ref);
      const rendered = await promptsFor(identity).render(promptName, selector, parseVariables(request.variablesJson));
      return {
        version: toMessage(rendered.version),
        text: rendered.text ?? '',
        messages: rendered.messages ?? [],
        variablesJson: JSON.stringify(rendered.values),
      };
    }),
  };
}

/** The ref as the domain takes it; the name is checked like a new prompt's (no NUL or other text a name cannot hold). */
export function parseRef(ref: pb.PromptVersionRef | undefined): { promptName: string; selector: VersionSelector } {
  if (!ref?.promptName) throw new InputError('ref.prompt_name is required', 'ref.prompt_name');
  const promptName = check(promptNameSchema, ref.promptName, 'ref.prompt_name');
  const s = ref.selector;
  if (s?.$case === 'version') return { promptName, selector: { kind: 'number', number: s.value } };
  if (s?.$case === 'alias') return { promptName, selector: { kind: 'alias', alias: s.value } };
  if (s?.$case === 'latest' && s.value) return { promptName, selector: { kind: 'latest' } };
  throw new InputError('ref.selector: set version, alias or latest', 'ref.selector');
}

function parseVariables(json: string): Record<string, unknown> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new InputError('variables_json: not valid JSON', 'variables_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('variables_json: must be a JSON object', 'variables_json');
  return value as Record<string, unknown>;
}

// Versions are immutable: each one is converted once (the cache hands out the same object).
const messages = new WeakMap<PromptVersion, pb.PromptVersion>();
function toMessage(v: PromptVersion): pb.PromptVersion {
  let m = messages.get(v);
  if (!m) {
    m = convert(v);
    messages.set(v, m);
  }
  return m;
}

const convert = (v: PromptVersion): pb.PromptVersion => ({
  id: v.id,
  promptId: v.promptId,
  promptName: v.promptName,
  number: v.number,
  kind: v.body.kind,
  template: v.body.kind === 'TEXT' ? v.body.template : '',
  messages: v.body.kind === 'CHAT' ? v.body.messages : [],
  variables: v.variables.map((s) => ({
    name: s.name,
    type: s.type,
    required: s.required,
    defaultJson: s.default === undefined ? '' : JSON.stringify(s.default),
    description: s.description ?? '',
    enumValues: s.enumValues ?? [],
  })),
  modelParameters: { ...v.modelParameters, stop: v.modelParameters.stop ?? [] },
  metadataJson: JSON.stringify(v.metadata),
  augmentation: v.augmentation.map((a) => ({ ...a })),
  parentNumber: v.parentNumber ?? undefined,
  author: v.author ?? '',
  commitMessage: v.commitMessage,
  createdAt: v.createdAt.toISOString(),
});
