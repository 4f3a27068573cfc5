// GraphQL inputs -> domain inputs. Shape rules that GraphQL cannot express are InputErrors here;
// everything else is validated by the domain.
import { InputError } from '@llmops/platform';
import type { AugmentationStep, ChatMessage, ModelParameters, NewPromptVersion, PromptBody, VariableSpec, VersionSelector } from '../domain/model';

export interface CreatePromptVersionInput {
  promptName: string;
  template?: string | null;
  messages?: ChatMessage[] | null;
  variables?: Array<Omit<VariableSpec, 'default' | 'description' | 'enumValues'> & { default?: unknown; description?: string | null; enumValues?: string[] | null }> | null;
  modelParameters?: { [K in keyof ModelParameters]?: ModelParameters[K] | null } | null;
  metadata?: unknown;
  augmentation?: AugmentationStep[] | null;
  commitMessage: string;
  author?: string | null;
  parentVersion?: number | null;
}

export interface PromptRefInput {
  name: string;
  version?: number | null;
  alias?: string | null;
}

const withoutNulls = <T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]: Exclude<T[K], null> };

export function toBody(input: Pick<CreatePromptVersionInput, 'template' | 'messages'>): PromptBody {
  const hasTemplate = input.template !== undefined && input.template !== null;
  const hasMessages = input.messages !== undefined && input.messages !== null;
  if (hasTemplate === hasMessages) throw new InputError('template: give exactly one of template and messages', 'template');
  return hasTemplate ? { kind: 'TEXT', template: input.template! } : { kind: 'CHAT', messages: input.messages! };
}

export function toNewVersion(input: CreatePromptVersionInput): NewPromptVersion {
  if (input.metadata !== undefined && input.metadata !== null && (typeof input.metadata !== 'object' || Array.isArray(input.metadata))) {
    throw new InputError('metadata: must be a JSON object', 'metadata');
  }
  return {
    promptName: input.promptName,
    body: toBody(input),
    variables: input.variables ? input.variables.map((v) => withoutNulls(v) as VariableSpec) : null,
    modelParameters: withoutNulls(input.modelParameters ?? {}) as ModelParameters,
    metadata: (input.metadata as Record<string, unknown> | null | undefined) ?? {},
    augmentation: input.augmentation ?? [],
    commitMessage: input.commitMessage,
    author: input.author ?? null,
    parentNumber: input.parentVersion ?? null,
  };
}

export function toSelector(ref: { version?: number | null; alias?: string | null }): VersionSelector {
  if (ref.version != null && ref.alias != null) throw new InputError('ref: give a version or an alias, not both', 'ref.alias');
  if (ref.version != null) return { kind: 'number', number: ref.version };
  if (ref.alias != null) return { kind: 'alias', alias: ref.alias };
  return { kind: 'latest' };
}

export function toVariables(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError('variables: must be a JSON object', 'variables');
  return value as Record<string, unknown>;
}
