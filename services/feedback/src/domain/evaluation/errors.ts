import { DomainError, type ErrorCode } from '@llmops/platform';

/** An error a peer service answered (its code and details as it sent them). */
export class PeerServiceError extends DomainError {
  constructor(readonly code: ErrorCode, message: string, details: Record<string, unknown>) {
    super(message, details);
  }
}

/** An error that ends the whole run (FAILED) instead of being recorded against one item. */
export const isRunLevelError = (err: unknown): boolean => err instanceof DomainError && (err.code === 'UNAVAILABLE' || err.code === 'NOT_FOUND');

export const describeError = (err: unknown): string =>
  err instanceof DomainError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
