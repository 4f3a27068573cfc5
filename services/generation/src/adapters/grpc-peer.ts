// Calls to peer services' gRPC APIs: the platform's deadline and retry policy, cut short when the
// caller's signal aborts, and their errors turned back into domain errors (code and details ride
// in the error-code / error-details-json trailers).
import { status, type ServiceError } from '@grpc/grpc-js';
import { callUnary, UnavailableError, type CallPolicy, type ErrorCode } from '@llmops/platform';
import { PeerServiceError } from '../domain/errors';

const codes = new Set<ErrorCode>(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'UNAUTHENTICATED', 'UNAVAILABLE']);

/** A peer's error as a domain error; unreachable or slow peers are UnavailableError(dependency). */
export function fromServiceError(err: unknown, dependency: string): Error {
  const e = err as Partial<ServiceError>;
  if (typeof e.code !== 'number') return err as Error;
  const code = e.metadata?.get('error-code')[0]?.toString() as ErrorCode | undefined;
  if (code && codes.has(code)) {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(e.metadata?.get('error-details-json')[0]?.toString() ?? '{}') as Record<string, unknown>;
    } catch {
      // no details
    }
    return new PeerServiceError(code, e.details ?? e.message ?? `${dependency} failed`, details);
  }
  if (e.code === status.NOT_FOUND) return new PeerServiceError('NOT_FOUND', e.details ?? 'not found', {});
  if (e.code === status.INVALID_ARGUMENT) return new PeerServiceError('BAD_USER_INPUT', e.details ?? 'invalid argument', {});
  return new UnavailableError(dependency, { cause: err });
}

type UnaryMethod<Req, Res> = Parameters<typeof callUnary<Req, Res>>[0];

/** callUnary, rejected with the signal's reason as soon as it aborts. */
export function callPeer<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  policy: CallPolicy,
  signal: AbortSignal,
  dependency: string,
): Promise<Res> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    callUnary(method, request, policy).then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(fromServiceError(err, dependency));
      },
    );
  });
}
