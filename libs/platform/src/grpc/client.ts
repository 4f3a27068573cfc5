// gRPC client helper: every call carries a deadline; retries with backoff happen only on
// UNAVAILABLE and only when the caller declares the method idempotent.
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
}

/** The call's metadata plus the signed identity of the work it is made for (see identity/). */
export function outgoingMetadata(metadata?: Metadata): Metadata {
  const out = metadata ? metadata.clone() : new Metadata();
  for (const [key, value] of Object.entries(outgoingIdentityHeaders())) out.set(key, value);
  return out;
}

export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, policy: CallPolicy): Promise<Res> {
  const metadata = outgoingMetadata(policy.metadata);
  const attempt = () =>
    new Promise<Res>((resolve, reject) => {
      method(request, metadata, { deadline: Date.now() + policy.deadlineMs }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  if (!policy.idempotent) return attempt();
  return retryWithBackoff(attempt, {
    maxAttempts: policy.maxAttempts ?? 3,
    initialMs: 50,
    maxMs: 1_000,
    retryIf: (err) => (err as ServiceError).code === status.UNAVAILABLE,
  });
}
