// Elasticsearch failures in the domain's terms: unreachable, overloaded or timing out is
// UnavailableError('elasticsearch'); anything else propagates as is.
import { errors } from '@elastic/elasticsearch';
import { DomainError, UnavailableError } from '@llmops/platform';

export function esErrorType(err: unknown): string | undefined {
  return err instanceof errors.ResponseError ? (err.body as { error?: { type?: string } } | undefined)?.error?.type : undefined;
}

export function isUnavailable(err: unknown): boolean {
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError) return true;
  return err instanceof errors.ResponseError && [429, 502, 503, 504].includes(err.statusCode ?? 0);
}

/** Runs an Elasticsearch call, translating transport failures to UnavailableError. */
export async function guardEs<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (isUnavailable(err)) throw new UnavailableError('elasticsearch', { cause: err });
    throw err;
  }
}
