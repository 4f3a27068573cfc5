// Generation's business errors. Each is a DomainError, so every transport maps its code once.
import { DomainError, InputError, UnavailableError, isConnectionError } from '@llmops/platform';

/** The model name is not routed to any backend. */
export class UnknownModelError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(model: string, known: string[]) {
    super(`unknown model: ${model} (known: ${known.join(', ')})`, { field: 'model', model, known });
  }
}

/** Prompt + max tokens do not fit the model's context. */
export class PromptTooLongError extends InputError {
  constructor(promptTokens: number, maxTokens: number, contextLength: number) {
    super(
      `prompt too long for the context: ${promptTokens} prompt tokens + ${maxTokens} max tokens exceed the model's ${contextLength}`,
      'prompt',
      { promptTokens, maxTokens, contextLength },
    );
  }
}

/** A backend could not answer (unreachable, overloaded, failed): a fallback backend may take over. */
export class BackendUnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(readonly backend: string, reason: string, options?: { cause?: unknown }) {
    super(`model backend ${backend} is unavailable: ${reason}`, { dependency: `backend:${backend}`, reason }, options);
  }
}

/** The generation ran past its deadline. */
export class GenerationTimeoutError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(timeoutMs: number) {
    super(`generation did not finish within ${timeoutMs} ms`, { dependency: 'model backend', reason: 'DEADLINE_EXCEEDED', timeoutMs });
  }
}

/** The caller went away (client disconnect, cancelled call) or the service is shutting down. */
export class GenerationCancelledError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(reason = 'the caller cancelled') {
    super(`generation cancelled: ${reason}`, { reason: 'CANCELLED' });
  }
}

/** A peer service's typed error (see @llmops/platform grpc/peer.ts). */
export { PeerServiceError } from '@llmops/platform';

/** An unexpected failure, recorded and answered without internals. */
export class GenerationFailedError extends DomainError {
  readonly code = 'INTERNAL_SERVER_ERROR' as const;
  constructor(cause: unknown) {
    super('generation failed', {}, { cause });
  }
}

/**
 * Any error as the domain error a call ends with: domain errors as they are, PostgreSQL out of
 * reach (the token budget, the session, the records) as UNAVAILABLE, which clients may retry, and
 * anything else as GenerationFailedError. The backends and peers answer domain errors already.
 */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (isConnectionError(err)) return new UnavailableError('postgresql', { cause: err });
  return new GenerationFailedError(err);
}

/** A version with augmentation steps cannot be rendered without the retrieval service. */
export class AugmentationUnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`augmentation requires retrieval: ${reason}`, { dependency: 'retrieval', reason }, options);
  }
}
