// A remote backend: any server that speaks OpenAI's streaming /v1/chat/completions (vLLM or TGI on
// GPU inference pods, or a hosted API). Unreachable, overloaded, failing or slow servers are
// BackendUnavailableError, so the fallback backend may take over; a request the server refuses
// (400/422, e.g. too long for its context) is the caller's error.
import { deadlineSignal, linkSignals } from '@llmops/platform';
import { BackendUnavailableError, PeerServiceError } from '../domain/errors';
import type { ChatMessage } from '../domain/model';
import type { BackendRequest, BackendResult, ModelBackend, ModelInfo } from '../domain/ports';

export interface OpenAiModel extends ModelInfo {
  /** The model name the server knows, when it differs from the routed name. */
  remoteName?: string;
}

export interface OpenAiBackendOptions {
  name: string;
  /** The API's base URL, e.g. http://vllm:8000/v1 (a URL without a path gets /v1). */
  baseUrl: string;
  apiKey?: string;
  models: OpenAiModel[];
  /** Longest a request may take before this backend counts as unavailable. */
  timeoutMs: number;
}

interface ChunkChoice {
  delta?: { content?: string | null };
  finish_reason?: string | null;
  /** vLLM: the stop string (or token id) that ended generation. */
  stop_reason?: string | number | null;
}

interface Chunk {
  choices?: ChunkChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

const roles = { SYSTEM: 'system', USER: 'user', ASSISTANT: 'assistant' } as const;

export class OpenAiCompatibleBackend implements ModelBackend {
  readonly kind = 'OPENAI_COMPATIBLE' as const;
  readonly name: string;
  readonly models: readonly OpenAiModel[];
  private readonly url: string;

  constructor(private readonly opts: OpenAiBackendOptions, private readonly fetchImpl: typeof fetch = fetch) {
    this.name = opts.name;
    this.models = opts.models;
    this.url = `${apiBase(opts.baseUrl)}/chat/completions`;
  }

  countPromptTokens(): null {
    return null;
  }

  async generate(request: BackendRequest): Promise<BackendResult> {
    const timeout = deadlineSignal(this.opts.timeoutMs);
    const linked = linkSignals(request.signal, timeout.signal);
    try {
      return await this.stream(request, linked.signal, timeout.signal);
    } finally {
      linked.release();
      timeout.release();
    }
  }

  private async stream(request: BackendRequest, signal: AbortSignal, timeout: AbortSignal): Promise<BackendResult> {
    const unavailable = (reason: string, cause?: unknown) => {
      if (request.signal.aborted) return request.signal.reason;
      if (timeout.aborted) return new BackendUnavailableError(this.name, `no answer within ${this.opts.timeoutMs} ms`, { cause });
      return new BackendUnavailableError(this.name, reason, { cause });
    };
    const model = this.models.find((m) => m.name === request.model);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify(this.body(model?.remoteName ?? request.model, request)),
        signal,
      });
    } catch (err) {
      throw unavailable(`request failed: ${describe(err)}`, err);
    }
    if (!res.ok) {
      const detail = await res.text().catch(() => '');
      if (res.status === 400 || res.status === 422) {
        throw new PeerServiceError('BAD_USER_INPUT', `model backend ${this.name} refused the request: ${errorMessage(detail)}`, {
          field: 'prompt',
          backend: this.name,
          status: res.status,
        });
      }
      throw unavailable(`HTTP ${res.status}: ${errorMessage(detail)}`);
    }
    try {
      return await this.readStream(res, request.onText, request.parameters.maxTokens);
    } catch (err) {
      if (err instanceof BackendUnavailableError) throw err;
      throw unavailable(`stream failed: ${describe(err)}`, err);
    }
  }

  async close(): Promise<void> {}

  private body(model: string, request: BackendRequest) {
    const p = request.parameters;
    return {
      model,
      messages: request.messages.map((m: ChatMessage) => ({ role: roles[m.role], content: m.content })),
      max_tokens: p.maxTokens,
      temperature: p.temperature,
      top_p: p.topP,
      ...(p.seed !== null ? { seed: p.seed } : {}),
      ...(p.stop.length ? { stop: p.stop } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
  }

  /**
   * Reads the streamed completion. Each content delta is at least one generated token, so a server
   * that sends more deltas than max_tokens is ignoring it: the stream is then cut at max_tokens
   * deltas and the answer ends with finish reason LENGTH (the token budget holds whatever the server does).
   */
  private async readStream(res: Response, onText: (text: string) => void, maxTokens: number): Promise<BackendResult> {
    if (!res.body) throw new BackendUnavailableError(this.name, 'response has no body');
    let text = '';
    let deltas = 0;
    let overrun = false;
    let finishReason: BackendResult['finishReason'] | null = null;
    let promptTokens: number | null = null;
    let completionTokens: number | null = null;
    let done = false;
    const onChunk = (chunk: Chunk) => {
      if (chunk.error) throw new BackendUnavailableError(this.name, chunk.error.message ?? 'error event in stream');
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta && ++deltas > maxTokens) {
        overrun = true;
        return;
      }
      if (delta) {
        text += delta;
        onText(delta);
      }
      if (choice?.finish_reason) finishReason = toFinishReason(choice);
      if (chunk.usage) {
        promptTokens = chunk.usage.prompt_tokens ?? null;
        completionTokens = chunk.usage.completion_tokens ?? null;
      }
    };
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') {
        done = true;
        break;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        throw new BackendUnavailableError(this.name, 'stream event is not JSON');
      }
      onChunk(chunk);
      if (overrun) break;
    }
    // Leaving the loop early cancels the body, which closes the connection: the server stops.
    if (overrun) return { text, finishReason: 'LENGTH', promptTokens, completionTokens: maxTokens };
    if (finishReason === null) throw new BackendUnavailableError(this.name, done ? 'stream ended without a finish reason' : 'stream ended early');
    return { text, finishReason, promptTokens, completionTokens };
  }
}

/** The OpenAI convention: the base URL includes /v1; a bare server URL gets it. */
export function apiBase(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path === '' ? '/v1' : path}`;
}

function toFinishReason(choice: ChunkChoice): BackendResult['finishReason'] {
  if (choice.finish_reason === 'length') return 'LENGTH';
  if (choice.finish_reason === 'stop' && typeof choice.stop_reason === 'string') return 'STOP_SEQUENCE';
  return 'STOP';
}

/** The `data:` payloads of a text/event-stream body, one per event. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
  if (data.length) yield data.join('\n');
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (message) return message.slice(0, 500);
  } catch {
    // not JSON: the raw text
  }
  return body.slice(0, 500) || 'no details';
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
