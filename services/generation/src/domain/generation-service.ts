// The generate use case: render the prompt (registered, with its augmentation steps, or inline),
// route to a backend, run the model within the deadline (a fallback backend takes over when the
// routed one is unavailable), and record every call, failed ones included, as a Generation.
import { DomainError, InputError, ShuttingDownError, UnavailableError, deadlineSignal, linkSignals } from '@llmops/platform';
import type { ChatMessage, Generation, GenerationParameters, GenerateRequest, InlinePrompt, Page } from './model';
import type { GenerationStore, ModelBackend, PromptRegistry, RenderedVersion, RetrievedDocument, Retriever, VersionInfo } from './ports';
import type { ConversationMemory } from './memory';
import type { ModelRouter, Route } from './router';
import { maxSeed, resolveParameters, type ParameterLimits } from './parameters';
import { renderInlinePrompt, renderTemplate } from './template';
import { fenceText, fenceVariables, newFence, withDataInstruction } from './untrusted-data';
import type { TokenBudget } from './token-budget';
import {
  AugmentationUnavailableError,
  BackendUnavailableError,
  GenerationCancelledError,
  GenerationTimeoutError,
  PromptTooLongError,
  toDomainError,
} from './errors';

export type GenerationEvent =
  | { type: 'started'; generationId: string; model: string; backend: string; promptVersionId: string | null }
  | { type: 'text'; generationId: string; text: string };

export interface GenerateOptions {
  /** Aborted when the caller goes away (client disconnect, cancelled gRPC call). */
  signal: AbortSignal;
  /** A deadline shorter than the service's, e.g. a gRPC call's. */
  timeoutMs?: number;
  onEvent?: (event: GenerationEvent) => void;
  pipelineRunId?: string | null;
}

/** Hooks for metrics and logs; the domain itself does no I/O. */
export interface GenerationObserver {
  completed(generation: Generation): void;
  recordFailed(generation: Generation, err: unknown): void;
  /** The generation succeeded (and was recorded) but could not be appended to its session. */
  sessionAppendFailed?(generation: Generation, sessionId: string, err: unknown): void;
}

export interface GenerationLimits extends ParameterLimits {
  /** The service's deadline for one call, rendering included. */
  timeoutMs: number;
  /** Completions per call (n). */
  maxCompletions: number;
}

export interface GenerationDeps {
  router: ModelRouter;
  registry: PromptRegistry;
  /** null: retrieval is not configured, and augmented prompts are UNAVAILABLE. */
  retriever: Retriever | null;
  store: GenerationStore;
  memory: ConversationMemory | null;
  /** The project's token budget (see token-budget.ts); null: none. */
  budget?: Pick<TokenBudget, 'admit'> | null;
  limits: GenerationLimits;
  traceId: () => string | null;
  newId: () => string;
  observer?: GenerationObserver;
  now?: () => number;
}

/** The prompt after rendering: what every completion of one call shares. */
interface Prepared {
  version: VersionInfo | null;
  inlinePrompt: InlinePrompt | null;
  messages: ChatMessage[];
  /** The prompt without session history: what is appended to the session. */
  promptMessages: ChatMessage[];
  retrievedDocumentIds: string[];
  parameters: GenerationParameters;
  route: Route;
  /** The prompt's tokens as the routed model counts them; null when its backend cannot count locally. */
  promptTokens: number | null;
}

export class GenerationService {
  private readonly now: () => number;

  constructor(private readonly deps: GenerationDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  get router(): ModelRouter {
    return this.deps.router;
  }

  /** One completion, recorded; its text is streamed through `onEvent` as it is generated. */
  async generate(request: GenerateRequest, opts: GenerateOptions): Promise<Generation> {
    const [generation] = await this.generateN(request, 1, opts);
    return generation!;
  }

  /** `n` completions of one rendered prompt, run concurrently, each recorded as its own Generation. */
  async generateN(request: GenerateRequest, n: number, opts: GenerateOptions): Promise<Generation[]> {
    const { limits } = this.deps;
    const started = this.now();
    const createdAt = new Date();
    const timeoutMs = Math.max(1, Math.min(limits.timeoutMs, opts.timeoutMs ?? Infinity));
    const deadline = deadlineSignal(timeoutMs);
    const linked = linkSignals(opts.signal, deadline.signal);
    try {
      return await this.generateWithin(request, n, opts, { signal: linked.signal, deadline: deadline.signal, timeoutMs, started, createdAt });
    } finally {
      linked.release();
      deadline.release();
    }
  }

  /** generateN once the call's signal (caller + deadline) is set up. */
  private async generateWithin(
    request: GenerateRequest,
    n: number,
    opts: GenerateOptions,
    call: { signal: AbortSignal; deadline: AbortSignal; timeoutMs: number; started: number; createdAt: Date },
  ): Promise<Generation[]> {
    const { limits } = this.deps;
    const { signal, started } = call;
    const failure = (err: unknown) =>
      call.deadline.aborted
        ? new GenerationTimeoutError(call.timeoutMs)
        : opts.signal.aborted
          ? new GenerationCancelledError(opts.signal.reason instanceof ShuttingDownError ? opts.signal.reason.message : undefined)
          : err;
    // The record names the session only once it is known to exist in the project: an unknown or
    // malformed id is never persisted (session_id is a uuid column).
    const base = this.draft(request, call.createdAt, opts.pipelineRunId ?? null);

    let prepared: Prepared;
    try {
      if (!Number.isInteger(n) || n < 1 || n > limits.maxCompletions) {
        throw new InputError(`n: must be from 1 to ${limits.maxCompletions}, got ${n}`, 'n', { limit: limits.maxCompletions });
      }
      // The session is checked (and its window read) before anything else runs.
      let history: ChatMessage[] = [];
      if (request.sessionId) {
        history = await this.sessionWindow(request.sessionId);
        base.sessionId = request.sessionId;
      }
      prepared = await this.prepare(request, history, signal);
      // Completion i uses seed + i (see below): the last one must be a seed too.
      const { seed } = prepared.parameters;
      if (seed !== null && seed + n - 1 > maxSeed) {
        throw new InputError(
          `parameters.seed: completion i uses seed + i, so with n = ${n} the seed must be at most ${maxSeed - (n - 1)}, got ${seed}`,
          'parameters.seed',
          { limit: maxSeed - (n - 1) },
        );
      }
      const appending = appendTarget(request, this.deps.memory);
      if (appending) checkSessionMessages(appending.memory, prepared.promptMessages);
      // The worst case of every completion must fit in what is left of the project's budget.
      const promptTokens = prepared.promptTokens ?? estimateTokens(prepared.messages);
      await this.deps.budget?.admit((promptTokens + prepared.parameters.maxTokens) * n);
    } catch (err) {
      const error = toDomainError(failure(err));
      const generation = { ...base, id: this.deps.newId(), latencyMs: this.elapsed(started) };
      await this.recordFailure(generation, error, null, null);
      throw error;
    }

    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => {
        const parameters =
          n > 1 && prepared.parameters.seed !== null ? { ...prepared.parameters, seed: prepared.parameters.seed + i } : prepared.parameters;
        return this.complete({ ...base, id: this.deps.newId() }, { ...prepared, parameters }, started, signal, failure, opts.onEvent);
      }),
    );
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    const generations = results.map((r) => (r as PromiseFulfilledResult<Generation>).value);
    const appending = appendTarget(request, this.deps.memory);
    if (appending) {
      // The exchange: the prompt's messages other than its system ones (which every turn's prompt
      // brings again), and the answer. The generation is recorded and charged by now: an append
      // that fails (the database; an answer longer than a session message) does not hide it. The
      // session is simply not extended, and the observer reports it.
      try {
        await appending.memory.append(appending.sessionId, [...exchanged(prepared.promptMessages), { role: 'ASSISTANT', content: generations[0]!.output ?? '' }]);
      } catch (err) {
        this.deps.observer?.sessionAppendFailed?.(generations[0]!, appending.sessionId, err);
      }
    }
    return generations;
  }

  findById(id: string): Promise<Generation | null> {
    return this.deps.store.findById(id);
  }

  listByPromptVersion(promptVersionId: string, first: number, after: string | null): Promise<Page<Generation>> {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new InputError('first: must be from 1 to 100', 'first');
    return this.deps.store.listByPromptVersion(promptVersionId, first, after);
  }

  private draft(request: GenerateRequest, createdAt: Date, pipelineRunId: string | null): Omit<Generation, 'id'> {
    return {
      status: 'FAILED',
      promptId: null,
      promptName: request.source.kind === 'registered' ? request.source.promptName : null,
      promptVersionId: null,
      promptVersion: null,
      inlinePrompt: request.source.kind === 'inline' ? request.source.prompt : null,
      variables: request.variables,
      renderedMessages: null,
      output: null,
      model: null,
      backend: null,
      fallbackFrom: null,
      parameters: null,
      promptTokens: null,
      completionTokens: null,
      latencyMs: 0,
      timeToFirstTokenMs: null,
      finishReason: null,
      traceId: this.deps.traceId(),
      retrievedDocumentIds: [],
      error: null,
      sessionId: null,
      pipelineRunId,
      createdAt,
    };
  }

  private async prepare(request: GenerateRequest, history: ChatMessage[], signal: AbortSignal): Promise<Prepared> {
    let version: VersionInfo | null = null;
    let promptMessages: ChatMessage[];
    let retrievedDocumentIds: string[] = [];
    if (request.source.kind === 'registered') {
      const rendered = await this.renderRegistered(request.source.promptName, request.source.selector, request.variables, signal);
      version = rendered.version;
      promptMessages = rendered.messages;
      retrievedDocumentIds = rendered.retrievedDocumentIds;
    } else {
      promptMessages = renderInlinePrompt(request.source.prompt, request.variables);
    }
    const parameters = resolveParameters(request.parameters, version?.modelParameters ?? {}, this.deps.limits);
    const route = this.deps.router.route(request.model ?? version?.modelParameters.model ?? null);
    const messages = [...leadingSystem(promptMessages), ...history, ...afterSystem(promptMessages)];
    const promptTokens = checkContext(route, messages, parameters);
    return {
      version,
      inlinePrompt: request.source.kind === 'inline' ? request.source.prompt : null,
      messages,
      promptMessages,
      retrievedDocumentIds,
      parameters,
      route,
      promptTokens,
    };
  }

  private async sessionWindow(sessionId: string): Promise<ChatMessage[]> {
    if (!this.deps.memory) throw new UnavailableError('sessions');
    return this.deps.memory.window(sessionId);
  }

  /** Throws NotFoundError unless the session exists in the project (an id that is not a UUID never does). */
  async checkSession(sessionId: string): Promise<void> {
    if (!this.deps.memory) throw new UnavailableError('sessions');
    try {
      await this.deps.memory.get(sessionId);
    } catch (err) {
      throw toDomainError(err);
    }
  }

  /**
   * Runs the version's augmentation steps, then renders that exact version with their results.
   * Retrieved documents, and the caller's strings when the version marks its input untrusted, go in
   * fenced as data (see untrusted-data.ts).
   */
  private async renderRegistered(
    promptName: string,
    selector: Parameters<PromptRegistry['getVersion']>[1],
    variables: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<RenderedVersion & { retrievedDocumentIds: string[] }> {
    // One round trip in the common case (no augmentation): render first, and read the version
    // only when the render shows augmentation steps or fails (their output variables are missing).
    // The version's own render is final unless it has augmentation steps or untrusted input.
    const plain = (v: VersionInfo) => v.augmentation.length === 0 && !v.untrustedInput;
    let version: VersionInfo;
    try {
      const rendered = await this.deps.registry.render(promptName, selector, variables, signal);
      if (plain(rendered.version)) return { ...rendered, retrievedDocumentIds: [] };
      version = rendered.version;
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'BAD_USER_INPUT') throw err;
      version = await this.deps.registry.getVersion(promptName, selector, signal);
      if (plain(version)) throw err;
    }
    const fence = newFence(this.deps.newId());
    let steps: Array<{ step: VersionInfo['augmentation'][number]; documents: RetrievedDocument[] }> = [];
    if (version.augmentation.length) {
      const retriever = this.deps.retriever;
      if (!retriever) throw new AugmentationUnavailableError('RETRIEVAL_ADDRESS is not configured');
      steps = await Promise.all(
        version.augmentation.map(async (step, i) => {
          const query = renderTemplate(step.queryTemplate, variables, `augmentation.${i}.queryTemplate`);
          const documents = await retriever.search(step.collection, query, step.k, signal);
          return { step, documents };
        }),
      );
    }
    const values = version.untrustedInput ? fenceVariables(variables, version.variables, fence) : { ...variables };
    for (const { step, documents } of steps) values[step.outputVariable] = documents.map((d) => fenceText(d.text, fence));
    const rendered = await this.deps.registry.render(promptName, { kind: 'number', number: version.number }, values, signal);
    return {
      ...rendered,
      messages: withDataInstruction(rendered.messages, fence),
      retrievedDocumentIds: [...new Set(steps.flatMap((s) => s.documents.map((d) => d.id)))],
    };
  }

  /** One model call (with fallback) and its record. */
  private async complete(
    base: Omit<Generation, 'id'> & { id: string },
    prepared: Prepared,
    started: number,
    signal: AbortSignal,
    failure: (err: unknown) => unknown,
    onEvent: GenerateOptions['onEvent'],
  ): Promise<Generation> {
    const generation: Generation = {
      ...base,
      promptId: prepared.version?.promptId ?? null,
      promptName: prepared.version?.promptName ?? base.promptName,
      promptVersionId: prepared.version?.id ?? null,
      promptVersion: prepared.version?.number ?? null,
      renderedMessages: prepared.messages,
      parameters: prepared.parameters,
      retrievedDocumentIds: prepared.retrievedDocumentIds,
      model: prepared.route.model.name,
      backend: prepared.route.backend.name,
    };
    let text = '';
    let deltas = 0;
    let firstTextAt: number | null = null;
    // One `started` per completion, naming the backend and model that answer. When a fallback may
    // still take over, that is known only once the routed backend produces text (or answers
    // without any), or once the fallback takes over; otherwise it goes out before the call.
    let announced = false;
    const announce = () => {
      if (announced) return;
      announced = true;
      onEvent?.({
        type: 'started',
        generationId: generation.id,
        model: generation.model!,
        backend: generation.backend!,
        promptVersionId: generation.promptVersionId,
      });
    };
    const onText = (delta: string) => {
      if (!delta) return;
      announce();
      firstTextAt ??= this.now();
      text += delta;
      deltas++;
      onEvent?.({ type: 'text', generationId: generation.id, text: delta });
    };
    let route = prepared.route;
    let promptTokens = prepared.promptTokens;
    try {
      const fallback = this.deps.router.fallbackFor(route);
      if (!fallback) announce();
      let result;
      try {
        result = await this.callBackend(route, prepared, signal, onText);
      } catch (err) {
        if (!(err instanceof BackendUnavailableError) || text !== '' || signal.aborted || !fallback) throw err;
        let fallbackPromptTokens: number | null;
        try {
          fallbackPromptTokens = checkContext(fallback, prepared.messages, prepared.parameters);
        } catch (tooLong) {
          // The fallback cannot take this prompt: the call fails as the routed backend's outage
          // (UNAVAILABLE, worth retrying), not as the caller's prompt being too long.
          if (!(tooLong instanceof PromptTooLongError)) throw tooLong;
          err.details['fallback'] = { backend: fallback.backend.name, model: fallback.model.name, error: tooLong.message };
          throw err;
        }
        generation.fallbackFrom = { backend: route.backend.name, model: route.model.name, error: err.message };
        route = fallback;
        promptTokens = fallbackPromptTokens;
        generation.model = route.model.name;
        generation.backend = route.backend.name;
        announce();
        result = await this.callBackend(route, prepared, signal, onText);
      }
      announce();
      Object.assign(generation, {
        status: 'SUCCEEDED',
        output: result.text,
        finishReason: result.finishReason,
        // A server that reports no usage is charged like a call cut short (see usedPromptTokens).
        promptTokens: result.promptTokens ?? usedPromptTokens(promptTokens, prepared.messages),
        completionTokens: result.completionTokens ?? usedCompletionTokens(route, result.text, deltas),
        latencyMs: this.elapsed(started),
        timeToFirstTokenMs: firstTextAt === null ? null : Math.round(firstTextAt - started),
      } satisfies Partial<Generation>);
      await this.deps.store.record(generation);
      this.deps.observer?.completed(generation);
      return generation;
    } catch (err) {
      const error = toDomainError(failure(err));
      generation.output = text || null;
      if (text !== '') {
        // Once the model produced text the prompt was evaluated: a cancelled, timed-out or failed
        // call records (and is charged) its prompt tokens and the tokens produced so far.
        generation.promptTokens = usedPromptTokens(promptTokens, prepared.messages);
        generation.completionTokens = usedCompletionTokens(route, text, deltas);
      }
      generation.latencyMs = this.elapsed(started);
      generation.timeToFirstTokenMs = firstTextAt === null ? null : Math.round(firstTextAt - started);
      await this.recordFailure(generation, error, text, route.backend);
      throw error;
    }
  }

  private callBackend(route: Route, prepared: Prepared, signal: AbortSignal, onText: (t: string) => void) {
    return route.backend.generate({ model: route.model.name, messages: prepared.messages, parameters: prepared.parameters, signal, onText });
  }

  private async recordFailure(generation: Generation, error: DomainError, text: string | null, backend: ModelBackend | null): Promise<void> {
    const cancelled = error instanceof GenerationCancelledError;
    generation.status = cancelled ? 'CANCELLED' : 'FAILED';
    generation.finishReason = backend === null ? null : cancelled ? 'CANCELLED' : 'ERROR';
    generation.output = text || null;
    generation.error = { code: error.code, message: error.message, details: { ...error.details } };
    error.details['generationId'] = generation.id;
    try {
      await this.deps.store.record(generation);
      this.deps.observer?.completed(generation);
    } catch (err) {
      // The caller gets the generation's own error; the lost record is logged by the observer.
      this.deps.observer?.recordFailed(generation, err);
      delete error.details['generationId'];
    }
  }

  private elapsed(started: number): number {
    return Math.max(0, Math.round(this.now() - started));
  }
}

/** Throws PromptTooLongError when the prompt and its completion do not fit the model; returns the prompt's tokens when countable. */
function checkContext(route: Route, messages: ChatMessage[], parameters: GenerationParameters): number | null {
  const promptTokens = route.backend.countPromptTokens(route.model.name, messages);
  if (promptTokens !== null && promptTokens + parameters.maxTokens > route.model.contextLength) {
    throw new PromptTooLongError(promptTokens, parameters.maxTokens, route.model.contextLength);
  }
  return promptTokens;
}

/** A generous token estimate where the backend cannot count (remote models): one token per 3 characters. */
const estimateTokens = (messages: ChatMessage[]) => Math.ceil(messages.reduce((sum, m) => sum + m.content.length, 0) / 3);

/**
 * Usage where the backend reports none (a call cut short; a remote server that sends no `usage`):
 * the prompt as counted for admission (the estimate for remote backends), and the output as the
 * backend's tokenizer counts it, else one token per content delta (each is at least one).
 */
const usedPromptTokens = (counted: number | null, messages: ChatMessage[]) => counted ?? estimateTokens(messages);
const usedCompletionTokens = (route: Route, text: string, deltas: number) => route.backend.countOutputTokens?.(route.model.name, text) ?? deltas;

/** What a generation appends to its session (before its answer): the prompt's messages other than its system ones. */
const exchanged = (promptMessages: ChatMessage[]) => promptMessages.filter((m) => m.role !== 'SYSTEM');

/** The session a call appends its exchange to; null when it appends nothing. */
function appendTarget(request: GenerateRequest, memory: ConversationMemory | null): { sessionId: string; memory: ConversationMemory } | null {
  return request.sessionId && request.appendToSession !== false && memory ? { sessionId: request.sessionId, memory } : null;
}

/** The prompt's messages a session will store must fit a session message: refused before the model runs. */
function checkSessionMessages(memory: ConversationMemory, promptMessages: ChatMessage[]): void {
  const limit = memory.maxMessageChars;
  if (limit === undefined) return;
  for (const m of exchanged(promptMessages)) {
    if (m.content.length > limit) {
      throw new InputError(
        `prompt: the rendered ${m.role} message has ${m.content.length} characters, more than a session message holds (${limit}); shorten it or do not append to the session`,
        'prompt',
        { limit },
      );
    }
  }
}

/** Session history goes after the prompt's leading system messages and before the rest. */
const leadingSystem = (messages: ChatMessage[]) => messages.slice(0, firstNonSystem(messages));
const afterSystem = (messages: ChatMessage[]) => messages.slice(firstNonSystem(messages));
function firstNonSystem(messages: ChatMessage[]): number {
  const i = messages.findIndex((m) => m.role !== 'SYSTEM');
  return i < 0 ? messages.length : i;
}
