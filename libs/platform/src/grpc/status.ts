import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { DomainError, type ErrorCode, UnavailableError, UnreachableCaseError } from '../errors';
import { isConnectionError } from '../postgres/pool';

export function grpcStatusOf(code: ErrorCode): status {
  switch (code) {
    case 'BAD_USER_INPUT':
      return status.INVALID_ARGUMENT;
    case 'NOT_FOUND':
      return status.NOT_FOUND;
    case 'CONFLICT':
      return status.ALREADY_EXISTS;
    case 'FORBIDDEN':
      return status.PERMISSION_DENIED;
    case 'UNAUTHENTICATED':
      return status.UNAUTHENTICATED;
    case 'UNAVAILABLE':
      return status.UNAVAILABLE;
    case 'RATE_LIMITED':
      return status.RESOURCE_EXHAUSTED;
    case 'INTERNAL_SERVER_ERROR':
      return status.INTERNAL;
    default:
      throw new UnreachableCaseError(code);
  }
}

/**
 * A domain error as a gRPC error; details ride in the `error-details-json` trailer. PostgreSQL out
 * of reach (a query's connection error that no adapter mapped) is UNAVAILABLE, as on GraphQL, so
 * that callers retry instead of taking it for a bug.
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (!(err instanceof DomainError) && isConnectionError(err)) return toServiceError(new UnavailableError('postgresql', { cause: err }));
  if (err instanceof DomainError) {
    const metadata = new Metadata();
    metadata.set('error-code', err.code);
    metadata.set('error-details-json', JSON.stringify(err.details));
    return { code: grpcStatusOf(err.code), details: err.message, metadata };
  }
  return { code: status.INTERNAL, details: 'internal error' };
}
