import { InputError, NotFoundError, refuseUnstorableText, linkSignals, type GrpcServer, type Identity, type Logger, type Metrics } from '@llmops/platform';
import { generationV1 as pb, type promptRegistryV1 } from '@llmops/contracts';
import type { GenerationService } from '../domain/generation-service';
import type { ChatRole, FinishReason, Generation, GenerateRequest, GenerationStatus, PromptSource } from '../domain/model';
import { hypotheticalDocumentsRequest } from '../domain/hyde';
import { serverStreaming } from './server-streaming';

const service = 'llmops.generation.v1.GeneratorService';

export function generatorGrpc(
  server: GrpcServer,
  /** The generations of one project: every method works within the verified caller's project. */
  generationsFor: (projectId: string) => GenerationService,
  deps: { logger: Logger; metrics: Metrics; shutdown: AbortSignal },
): pb.GeneratorServiceServer {
  /** Runs `fn` with a signal aborted when the call is cancelled or the shutdown drain ends. */
  const untilShutdown = async <T>(callSignal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const linked = linkSignals(callSignal, deps.shutdown);
    try {
      return await fn(linked.signal);
    } finally {
      linked.release();
    }
  };
  const generationsOf = (identity: Identity) => generationsFor(identity.projectId);
  return {
    generate: server.unary(service, 'Generate', 'editor', (request: pb.GenerateRequest, ctx) =>
      untilShutdown(ctx.signal, async (signal) => {
        const list = await generationsOf(ctx.identity).generateN(toGenerateRequest(request), request.n || 1, { signal });
        return { generations: list.map(toMessage) };
      }),
    ),
    generateStream: serverStreaming<pb.GenerateStreamRequest, pb.GenerateStreamResponse>({ ...deps, server }, service, 'GenerateStream', 'editor', async (stream, ctx) => {
      const request = stream.request;
      if (!request) throw new InputError('request is required', 'request');
      if (request.n > 1) throw new InputError('request.n: GenerateStream generates one completion', 'request.n');
      const generation = await untilShutdown(ctx.signal, (signal) => generationsOf(ctx.identity).generate(toGenerateRequest(request), {
        signal,
        timeoutMs: ctx.remainingMs,
        onEvent: (e) =>
          ctx.write({
            event:
              e.type === 'text'
                ? { $case: 'text', value: e.text }
                : {
                    $case: 'started',
                    value: { generationId: e.generationId, model: e.model, backend: e.backend, promptVersionId: e.promptVersionId ?? '' },
                  },
          }),
      }));
      ctx.write({ event: { $case: 'completed', value: toMessage(generation) } });
    }),
    generateHypotheticalDocuments: server.unary(service, 'GenerateHypotheticalDocuments', 'reader', async (request: pb.GenerateHypotheticalDocumentsRequest, ctx) => {
      refuseUnstorableText({ query: request.query, model: request.model });
      const { generate, n } = hypotheticalDocumentsRequest({
        query: request.query,
        n: request.n || undefined,
        model: request.model || null,
        maxTokens: request.maxTokens || undefined,
        temperature: request.temperature || undefined,
      });
      const list = await untilShutdown(ctx.signal, (signal) => generationsOf(ctx.identity).generateN(generate, n, { signal }));
      return { documents: list.map((g) => g.output ?? ''), generationIds: list.map((g) => g.id), model: list[0]?.model ?? '' };
    }),
    getGeneration: server.unary(service, 'GetGeneration', 'reader', async (request: pb.GetGenerationRequest, ctx) => {
      const generation = await generationsOf(ctx.identity).findById(request.id);
      if (!generation) throw new NotFoundError('Generation', request.id);
      return { generation: toMessage(generation) };
    }),
  };
}

/** The request as a domain request; InputError (INVALID_ARGUMENT) names the first offending field. */
export function toGenerateRequest(r: pb.GenerateRequest): GenerateRequest {
  const source = toSource(r.prompt);
  const variables = parseVariables(r.variablesJson);
  refuseUnstorable(r, variables);
  return {
    source,
    variables,
    model: r.model || null,
    parameters: {
      maxTokens: r.parameters?.maxTokens,
      temperature: r.parameters?.temperature,
      topP: r.parameters?.topP,
      seed: r.parameters?.seed,
      stop: r.parameters?.stop.length ? r.parameters.stop : null,
    },
    sessionId: r.sessionId || null,
  };
}

/**
 * Text PostgreSQL cannot store (NUL, a lone surrogate) is refused before the model runs, named by
 * its proto field (variables_json.<path> for the variables): the record's INSERT would fail.
 */
function refuseUnstorable(r: pb.GenerateRequest, variables: Record<string, unknown>): void {
  const prompt = r.prompt;
  refuseUnstorableText({
    ...(prompt?.$case === 'registered'
      ? { registered: { prompt_name: prompt.value.promptName, alias: prompt.value.selector?.$case === 'alias' ? prompt.value.selector.value : '' } }
      : {}),
    ...(prompt?.$case === 'inline' ? { inline: { template: prompt.value.template, messages: prompt.value.messages.map((m) => ({ role: m.role, content: m.content })) } } : {}),
    variables_json: variables,
    model: r.model,
    parameters: { stop: r.parameters?.stop ?? [] },
    session_id: r.sessionId,
  });
}

function toSource(prompt: pb.GenerateRequest['prompt']): PromptSource {
  if (prompt?.$case === 'registered') {
    const ref = prompt.value;
    if (!ref.promptName) throw new InputError('registered.prompt_name is required', 'registered.prompt_name');
    const s = ref.selector;
    if (s?.$case === 'version') return { kind: 'registered', promptName: ref.promptName, selector: { kind: 'number', number: s.value } };
    if (s?.$case === 'alias') return { kind: 'registered', promptName: ref.promptName, selector: { kind: 'alias', alias: s.value } };
    return { kind: 'registered', promptName: ref.promptName, selector: { kind: 'latest' } };
  }
  if (prompt?.$case === 'inline') {
    const { template, messages } = prompt.value;
    if (template && messages.length) throw new InputError('inline: set template or messages, not both', 'inline');
    if (template) return { kind: 'inline', prompt: { kind: 'TEXT', template } };
    if (messages.length) return { kind: 'inline', prompt: { kind: 'CHAT', messages: messages.map(toChatMessage) } };
    throw new InputError('inline: set template or messages', 'inline');
  }
  throw new InputError('prompt: set registered or inline', 'prompt');
}

const roles = new Set(['SYSTEM', 'USER', 'ASSISTANT']);
function toChatMessage(m: promptRegistryV1.ChatMessage, i: number): { role: ChatRole; content: string } {
  const role = m.role.toUpperCase();
  if (!roles.has(role)) throw new InputError(`inline.messages.${i}.role: must be SYSTEM, USER or ASSISTANT`, `inline.messages.${i}.role`);
  return { role: role as ChatRole, content: m.content };
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

const statuses: Record<GenerationStatus, pb.GenerationStatus> = {
  SUCCEEDED: pb.GenerationStatus.GENERATION_STATUS_SUCCEEDED,
  FAILED: pb.GenerationStatus.GENERATION_STATUS_FAILED,
  CANCELLED: pb.GenerationStatus.GENERATION_STATUS_CANCELLED,
};

const finishReasons: Record<FinishReason, pb.FinishReason> = {
  STOP: pb.FinishReason.FINISH_REASON_STOP,
  LENGTH: pb.FinishReason.FINISH_REASON_LENGTH,
  STOP_SEQUENCE: pb.FinishReason.FINISH_REASON_STOP_SEQUENCE,
  CANCELLED: pb.FinishReason.FINISH_REASON_CANCELLED,
  ERROR: pb.FinishReason.FINISH_REASON_ERROR,
};

export const toMessage = (g: Generation): pb.Generation => ({
  id: g.id,
  status: statuses[g.status],
  output: g.output ?? '',
  model: g.model ?? '',
  backend: g.backend ?? '',
  finishReason: g.finishReason ? finishReasons[g.finishReason] : pb.FinishReason.FINISH_REASON_UNSPECIFIED,
  promptTokens: g.promptTokens ?? undefined,
  completionTokens: g.completionTokens ?? undefined,
  latencyMs: g.latencyMs,
  timeToFirstTokenMs: g.timeToFirstTokenMs ?? undefined,
  promptVersionId: g.promptVersionId ?? '',
  promptName: g.promptName ?? '',
  promptVersion: g.promptVersion ?? undefined,
  retrievedDocumentIds: g.retrievedDocumentIds,
  traceId: g.traceId ?? '',
  renderedMessages: g.renderedMessages ?? [],
  createdAt: g.createdAt.toISOString(),
});
