// The generation domain's vocabulary: prompts to render, parameters, and the recorded Generation.
export type ChatRole = 'SYSTEM' | 'USER' | 'ASSISTANT';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Which version of a registered prompt: an explicit number, the newest, or the one an alias points at. */
export type VersionSelector = { kind: 'number'; number: number } | { kind: 'latest' } | { kind: 'alias'; alias: string };

/** A prompt given with the request: one text template or chat messages, each a template. */
export type InlinePrompt = { kind: 'TEXT'; template: string } | { kind: 'CHAT'; messages: ChatMessage[] };

export type PromptSource = { kind: 'registered'; promptName: string; selector: VersionSelector } | { kind: 'inline'; prompt: InlinePrompt };

/** Sampling and length settings, as the caller may give them (each optional). */
export interface ParameterOverrides {
  maxTokens?: number | null;
  temperature?: number | null;
  topP?: number | null;
  seed?: number | null;
  stop?: string[] | null;
}

/** The settings a model call runs with, after defaults. */
export interface GenerationParameters {
  maxTokens: number;
  temperature: number;
  topP: number;
  /** null: a random seed. */
  seed: number | null;
  stop: string[];
}

export interface GenerateRequest {
  source: PromptSource;
  variables: Record<string, unknown>;
  /** null: the prompt version's model, else the default model. */
  model: string | null;
  parameters: ParameterOverrides;
  sessionId: string | null;
  /** With a session: append the prompt and the answer to it (default), or only read its history. */
  appendToSession?: boolean;
}

export type FinishReason = 'STOP' | 'LENGTH' | 'STOP_SEQUENCE' | 'CANCELLED' | 'ERROR';
export type GenerationStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface GenerationError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** One recorded model call, successful or not. */
export interface Generation {
  id: string;
  status: GenerationStatus;
  promptId: string | null;
  promptName: string | null;
  promptVersionId: string | null;
  promptVersion: number | null;
  /** The inline prompt, when the call did not use a registered one. */
  inlinePrompt: InlinePrompt | null;
  variables: Record<string, unknown>;
  /** The messages sent to the model (session history included); null when rendering failed. */
  renderedMessages: ChatMessage[] | null;
  output: string | null;
  model: string | null;
  backend: string | null;
  /** The backend that failed before the fallback answered. */
  fallbackFrom: { backend: string; model: string; error: string } | null;
  parameters: GenerationParameters | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  finishReason: FinishReason | null;
  traceId: string | null;
  retrievedDocumentIds: string[];
  error: GenerationError | null;
  sessionId: string | null;
  pipelineRunId: string | null;
  createdAt: Date;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}
