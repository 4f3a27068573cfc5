// Translates errors to GraphQL once: domain errors keep their code and details, GraphQL's own
// validation errors keep theirs, anything else is logged and answered as INTERNAL_SERVER_ERROR
// without internals. A resolver that failed because a backing server (PostgreSQL, Elasticsearch)
// cannot be reached answers UNAVAILABLE naming it, so clients can retry instead of reporting a bug.
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, UnavailableError } from '../errors';
import { isConnectionError } from '../postgres/pool';
import type { Logger } from '../logger';
import { limitExtensions, limitMessage, tokenLimitOf } from './limits';

export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const dependency = unreachableDependencyOf(unwrapped);
    if (dependency !== undefined) logger.warn({ err: unwrapped, path: formatted.path, dependency }, 'dependency unreachable in resolver');
    const original = dependency === undefined ? unwrapped : new UnavailableError(dependency, { cause: unwrapped });
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...original.details },
      };
    }
    const code = formatted.extensions?.['code'];
    const tokenLimit = code === 'GRAPHQL_PARSE_FAILED' ? tokenLimitOf(formatted.message) : undefined;
    if (tokenLimit !== undefined) {
      // The parser's own message ("more that N tokens") names neither the limit nor its setting.
      return { message: limitMessage('maxTokens', tokenLimit), extensions: { code, ...limitExtensions('maxTokens', tokenLimit) } };
    }
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in resolver');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

const elasticsearchConnectionErrors = new Set(['ConnectionError', 'NoLivingConnectionsError', 'TimeoutError']);

/** The backing server an infrastructure error says is unreachable, or undefined for any other error. */
export function unreachableDependencyOf(err: unknown): string | undefined {
  if (!(err instanceof Error) || err instanceof DomainError) return undefined;
  const e = err as Error & { meta?: unknown };
  if (elasticsearchConnectionErrors.has(e.name) && e.meta !== undefined) return 'elasticsearch';
  // Any other connection failure (ECONNREFUSED, ECONNRESET, ETIMEDOUT, …, or PostgreSQL's own
  // 57P0x / 08xxx) comes from the pg pool: name the dependency, never the address and port it was
  // at (the error's `address`/`port` are internal topology; they stay in the log above).
  return isConnectionError(err) ? 'postgresql' : undefined;
}
