// gRPC client helper: every call carries a deadline; retries with backoff happen only on
// UNAVAILABLE and only when the caller declares the method idempotent; a caller's signal cancels
// the call on the wire, so the server stops working on it.
import { Metadata, status, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { retryWithBackoff } from '../retry';
import { outgoingIdentityHeaders } from '../identity/internal-auth';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallPolicy {
  deadlineMs: number;
  /** Retry on UNAVAILABLE (at most `maxAttempts` in all). Only for idempotent methods. */
  idempotent?: boolean;
  maxAttempts?: number;
  metadata?: Metadata;
  /**
   * Cancels the call in flight (the server's handler sees its own signal abort) and any retry;
   * the promise then rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

/** The call's metadata plus the signed identity of the work it is made for (see identity/). */
export function outgoingMetadata(metadata?: Metadata): Metadata {
  const out = metadata ? metadata.clone() : new Metadata();
  for (const [key, value] of Object.entries(outgoingIdentityHeaders())) out.set(key, value);
  return out;
}

export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, policy: CallPolicy): Promise<Res> {
  const metadata = outgoingMetadata(policy.metadata);
  const { signal } = policy;
  const attempt = () =>
    new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        call.cancel();
        reject(signal!.reason as Error);
      };
      const call = method(request, metadata, { deadline: Date.now() + policy.deadlineMs }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  if (!policy.idempotent) return attempt();
  return retryWithBackoff(attempt, {
    maxAttempts: policy.maxAttempts ?? 3,
    initialMs: 50,
    maxMs: 1_000,
    signal,
    retryIf: (err) => (err as ServiceError).code === status.UNAVAILABLE,
  });
}
