// The ports the generation domain calls; adapters implement them (node-llama-cpp, HTTP, gRPC, pg).
import type { ChatMessage, Generation, GenerationParameters, Page, VersionSelector } from './model';

export type BackendKind = 'EMBEDDED' | 'OPENAI_COMPATIBLE';

export interface ModelInfo {
  name: string;
  /** Largest prompt + completion, in tokens, the backend accepts for this model. */
  contextLength: number;
}

export interface BackendRequest {
  model: string;
  messages: ChatMessage[];
  parameters: GenerationParameters;
  /** Aborted when the caller cancels or the deadline passes: the backend stops and rejects. */
  signal: AbortSignal;
  /** Output text as it is generated (stop sequences already held back). */
  onText: (text: string) => void;
}

export interface BackendResult {
  text: string;
  finishReason: 'STOP' | 'LENGTH' | 'STOP_SEQUENCE';
  /** From the model's tokenizer; null when the backend does not report it. */
  promptTokens: number | null;
  completionTokens: number | null;
}

/** A place models run: in-process or a remote inference server. */
export interface ModelBackend {
  readonly name: string;
  readonly kind: BackendKind;
  readonly models: readonly ModelInfo[];
  /** Prompt tokens of `messages` as the model will see them, when the backend can count locally. */
  countPromptTokens(model: string, messages: ChatMessage[]): number | null;
  /** Tokens of generated `text`, when the backend can count locally (for calls that end without a result). */
  countOutputTokens?(model: string, text: string): number | null;
  /**
   * Throws BackendUnavailableError when the backend cannot answer (a fallback may take over),
   * InputError when it refuses the request, and the signal's reason when aborted.
   */
  generate(request: BackendRequest): Promise<BackendResult>;
  close(): Promise<void>;
}

export interface ModelParameterDefaults {
  model?: string;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export interface RetrieveStep {
  kind: string;
  collection: string;
  queryTemplate: string;
  k: number;
  outputVariable: string;
}

/** A registered version as generation needs it. */
export interface VersionInfo {
  id: string;
  promptId: string;
  promptName: string;
  number: number;
  modelParameters: ModelParameterDefaults;
  /** The typed variables; a variable is optional when not required or when it has a default. */
  variables: Array<{ name: string; required: boolean; hasDefault: boolean; type?: string }>;
  augmentation: RetrieveStep[];
  /** The version's metadata says its caller's STRING and JSON variables are untrusted data (see untrusted-data.ts). */
  untrustedInput?: boolean;
}

export interface RenderedVersion {
  version: VersionInfo;
  messages: ChatMessage[];
}

/** The prompt registry: versions and rendering (NotFoundError, InputError listing the variables). */
export interface PromptRegistry {
  getVersion(promptName: string, selector: VersionSelector, signal: AbortSignal): Promise<VersionInfo>;
  render(promptName: string, selector: VersionSelector, variables: Record<string, unknown>, signal: AbortSignal): Promise<RenderedVersion>;
}

export interface RetrievedDocument {
  id: string;
  title: string;
  text: string;
  score: number;
}

export interface Retriever {
  search(collection: string, query: string, k: number, signal: AbortSignal): Promise<RetrievedDocument[]>;
}

export interface GenerationStore {
  /** Writes the generation and its generation.completed.v1 event atomically. */
  record(generation: Generation): Promise<void>;
  findById(id: string): Promise<Generation | null>;
  /** Newest first; `after` is the id of the last generation of the previous page. */
  listByPromptVersion(promptVersionId: string, first: number, after: string | null): Promise<Page<Generation>>;
}
