import { DomainError } from '@llmops/platform';

/** A peer service's typed error (see @llmops/platform grpc/peer.ts). */
export { PeerServiceError } from '@llmops/platform';

/** An error that ends the whole run (FAILED) instead of being recorded against one item. */
export const isRunLevelError = (err: unknown): boolean => err instanceof DomainError && (err.code === 'UNAVAILABLE' || err.code === 'NOT_FOUND');

export const describeError = (err: unknown): string =>
  err instanceof DomainError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
