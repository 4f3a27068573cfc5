// Wraps a backend so each model call is an OpenTelemetry span with the GenAI semantic-convention
// attributes (operation, provider, request parameters, finish reason, token usage).
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ChatMessage } from '../domain/model';
import type { BackendRequest, BackendResult, ModelBackend } from '../domain/ports';

const tracer = trace.getTracer('llmops-generation');

export class TracedBackend implements ModelBackend {
  constructor(private readonly inner: ModelBackend) {}

  get name() {
    return this.inner.name;
  }
  get kind() {
    return this.inner.kind;
  }
  get models() {
    return this.inner.models;
  }

  countPromptTokens(model: string, messages: ChatMessage[]): number | null {
    return this.inner.countPromptTokens(model, messages);
  }

  countOutputTokens(model: string, text: string): number | null {
    return this.inner.countOutputTokens?.(model, text) ?? null;
  }

  generate(request: BackendRequest): Promise<BackendResult> {
    const p = request.parameters;
    return tracer.startActiveSpan(
      `chat ${request.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': this.inner.kind === 'EMBEDDED' ? 'llama.cpp' : 'openai',
          'gen_ai.request.model': request.model,
          'gen_ai.request.max_tokens': p.maxTokens,
          'gen_ai.request.temperature': p.temperature,
          'gen_ai.request.top_p': p.topP,
          ...(p.seed !== null ? { 'gen_ai.request.seed': p.seed } : {}),
          ...(p.stop.length ? { 'gen_ai.request.stop_sequences': p.stop } : {}),
          'llmops.backend': this.inner.name,
        },
      },
      async (span) => {
        try {
          const result = await this.inner.generate(request);
          span.setAttributes({
            'gen_ai.response.model': request.model,
            'gen_ai.response.finish_reasons': [result.finishReason.toLowerCase()],
            ...(result.promptTokens !== null ? { 'gen_ai.usage.input_tokens': result.promptTokens } : {}),
            ...(result.completionTokens !== null ? { 'gen_ai.usage.output_tokens': result.completionTokens } : {}),
          });
          return result;
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The active trace's id, for the generation record. */
export function activeTraceId(): string | null {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : null;
}
