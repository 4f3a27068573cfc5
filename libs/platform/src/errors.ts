// The error catalog: business errors that know nothing of transports, each stamped with the
// code every transport maps it to (GraphQL extensions.code, gRPC status) exactly once.
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input; `field` names the input field at fault (dot path). */
export class InputError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(message: string, readonly field: string, details: Record<string, unknown> = {}) {
    super(message, { field, ...details });
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(kind: string, ref: string) {
    super(`${kind} not found: ${ref}`, { kind, ref });
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT' as const;
}

export class NotAllowedError extends DomainError {
  readonly code = 'FORBIDDEN' as const;
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED' as const;
}

/** A project spent its request rate or token budget; `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED' as const;
  constructor(message: string, readonly retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(message, { retryAfterSeconds, ...details });
  }
}

/** A dependency (database, broker, peer service) cannot be reached; `dependency` names it. */
export class UnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(readonly dependency: string, options?: { cause?: unknown }) {
    super(`${dependency} is unavailable`, { dependency }, options);
  }
}

export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}
