export interface Prompt {
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  archived: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type VariableType = 'STRING' | 'NUMBER' | 'BOOLEAN' | 'ENUM' | 'JSON';

/** A typed template variable. */
export interface VariableSpec {
  name: string;
  type: VariableType;
  required: boolean;
  /** Applied when the caller gives no value; must satisfy the type. */
  default?: unknown;
  description?: string;
  /** Allowed values, for ENUM only. */
  enumValues?: string[];
}

export type ChatRole = 'SYSTEM' | 'USER' | 'ASSISTANT';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A version holds either one text template or a list of chat messages (each a template). */
export type PromptBody = { kind: 'TEXT'; template: string } | { kind: 'CHAT'; messages: ChatMessage[] };

export interface ModelParameters {
  model?: string;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

/**
 * External data augmentation: before rendering, retrieve `k` documents from `collection` with a
 * query rendered from `queryTemplate`, and expose them to the template as `outputVariable`.
 * The registry stores and validates the spec; the generation service executes it.
 */
export interface RetrieveStep {
  kind: 'RETRIEVE';
  collection: string;
  queryTemplate: string;
  k: number;
  outputVariable: string;
}

export type AugmentationStep = RetrieveStep;

export interface PromptVersion {
  id: string;
  promptId: string;
  promptName: string;
  number: number;
  body: PromptBody;
  variables: VariableSpec[];
  modelParameters: ModelParameters;
  metadata: Record<string, unknown>;
  augmentation: AugmentationStep[];
  commitMessage: string;
  author: string | null;
  parentNumber: number | null;
  archived: boolean;
  createdAt: Date;
}

export interface NewPrompt {
  name: string;
  description: string | null;
  tags: string[];
}

export interface NewPromptVersion {
  promptName: string;
  body: PromptBody;
  /** When omitted, they are inferred from how the templates use them (see `VariableUse` in template.ts). */
  variables: VariableSpec[] | null;
  modelParameters: ModelParameters;
  metadata: Record<string, unknown>;
  augmentation: AugmentationStep[];
  commitMessage: string;
  author: string | null;
  /** Defaults to the newest version at creation time. */
  parentNumber: number | null;
}

/** A fully validated version, ready to store (variables resolved). */
export type ValidVersion = Omit<NewPromptVersion, 'variables'> & { variables: VariableSpec[] };

/** Which version of a prompt: an explicit number, the newest, or the one an alias points at. */
export type VersionSelector = { kind: 'number'; number: number } | { kind: 'latest' } | { kind: 'alias'; alias: string };

export interface PromptAlias {
  promptId: string;
  promptName: string;
  alias: string;
  versionNumber: number;
  versionId: string;
  updatedAt: Date;
}

export interface AliasMove {
  alias: string;
  fromVersion: number | null;
  toVersion: number;
  movedBy: string | null;
  movedAt: Date;
}

export interface PromptFilter {
  tag: string | null;
  nameContains: string | null;
  includeArchived: boolean;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

export const describeSelector = (promptName: string, s: VersionSelector): string =>
  s.kind === 'latest' ? `${promptName}@latest` : s.kind === 'number' ? `${promptName}@${s.number}` : `${promptName}@${s.alias}`;

/** One change to the registry: who (API key, token subject or service), what, when. */
export interface AuditEntry {
  seq: number;
  actor: string;
  /** prompt.created, prompt.version.created, prompt.alias.moved, prompt.archived, prompt.version.archived */
  action: string;
  /** The prompt, `prompt@version` or `prompt@alias`. */
  target: string;
  details: Record<string, unknown>;
  at: Date;
}
