import { DomainError } from '@llmops/platform';

/** A peer service's typed error (see @llmops/platform grpc/peer.ts). */
export { PeerServiceError } from '@llmops/platform';

/**
 * An error that ends the whole run (FAILED, to be resumed once its cause is fixed) instead of being
 * recorded against one item: a peer that cannot be reached, an unknown prompt or model, a token
 * budget or rate limit that refuses the project's calls, credentials a peer refuses. None of
 * these says anything about the item, and an item recorded with one would never be scored again.
 */
const runLevelCodes = new Set(['UNAVAILABLE', 'NOT_FOUND', 'RATE_LIMITED', 'UNAUTHENTICATED', 'FORBIDDEN']);
export const isRunLevelError = (err: unknown): boolean => err instanceof DomainError && runLevelCodes.has(err.code);

export const describeError = (err: unknown): string =>
  err instanceof DomainError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
