// Calls to peer services' gRPC APIs with the platform's deadline and retry policy, cut short when
// the caller's signal aborts; their errors come back as domain errors (code and details ride in
// the error-code / error-details-json trailers).
import { status, type ServiceError } from '@grpc/grpc-js';
import { DomainError, UnavailableError, type ErrorCode } from '../errors';
import { callUnary, type CallPolicy } from './client';

/** A peer's typed error, carried over with its code and details. */
export class PeerServiceError extends DomainError {
  constructor(readonly code: ErrorCode, message: string, details: Record<string, unknown>) {
    super(message, details);
  }
}

const codes = new Set<ErrorCode>(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'UNAUTHENTICATED', 'RATE_LIMITED']);

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
      // the trailer is optional
    }
    return new PeerServiceError(code, e.details ?? e.message ?? `${dependency} failed`, details);
  }
  if (e.code === status.NOT_FOUND) return new PeerServiceError('NOT_FOUND', e.details ?? 'not found', {});
  if (e.code === status.INVALID_ARGUMENT) return new PeerServiceError('BAD_USER_INPUT', e.details ?? 'invalid argument', {});
  return new UnavailableError(dependency, { cause: err });
}

type UnaryMethod<Req, Res> = Parameters<typeof callUnary<Req, Res>>[0];

/**
 * callUnary cut short when the caller's signal aborts: the call is cancelled on the wire (so the
 * peer stops working on it), no retry follows, and the promise rejects with the signal's reason.
 */
export async function callPeer<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, policy: CallPolicy, signal: AbortSignal, dependency: string): Promise<Res> {
  try {
    return await callUnary(method, request, { ...policy, signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason as Error;
    throw fromServiceError(err, dependency);
  }
}
