// gRPC client helper: every call carries a deadline, one for the whole call, retries included;
// retries with backoff happen only on UNAVAILABLE and only when the caller declares the method
// idempotent; a caller's signal cancels the call on the wire, so the server stops working on it.
// `grpcClientOptions` are the channel options peers' clients are built with.
import { Metadata, status, type CallOptions, type ChannelOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { retryWithBackoff } from '../retry';
import { deadlineSignal, linkSignals } from '../signals';
import { outgoingIdentityHeaders } from '../identity/internal-auth';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Channel options for clients of peer services (`new XServiceClient(address, credentials, grpcClientOptions())`),
 * plus `extra`. Round-robin load balancing: the channel keeps a connection to every address its
 * target resolves to and spreads calls over them, so with `dns:///<name>-grpc:<port>` against a
 * headless Service every pod gets calls (grpc-js's default, pick_first, keeps one connection to
 * one pod). For a target with one address it changes nothing.
 */
export function grpcClientOptions(extra: ChannelOptions = {}): ChannelOptions {
  return { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }), ...extra };
}

export interface CallPolicy {
  /** Time for the whole call: every attempt and every pause between retries. */
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

/** The error of a call whose deadline passed between attempts, shaped as grpc-js reports one. */
function deadlineExceeded(): ServiceError {
  return Object.assign(new Error(`${status.DEADLINE_EXCEEDED} DEADLINE_EXCEEDED: Deadline exceeded`), {
    code: status.DEADLINE_EXCEEDED,
    details: 'Deadline exceeded',
    metadata: new Metadata(),
  });
}

export async function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, policy: CallPolicy): Promise<Res> {
  const metadata = outgoingMetadata(policy.metadata);
  const { signal } = policy;
  // One absolute deadline for the call: a retry gets what is left, not a fresh deadlineMs.
  const deadline = Date.now() + policy.deadlineMs;
  const attempt = () =>
    new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        call.cancel();
        reject(signal!.reason as Error);
      };
      const call = method(request, metadata, { deadline }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  if (!policy.idempotent) return attempt();
  // Stops the pause before a retry when the deadline passes (with DEADLINE_EXCEEDED) or the
  // caller's signal aborts (with its reason).
  const expiry = deadlineSignal(Math.max(0, deadline - Date.now()), deadlineExceeded);
  const stop = linkSignals(...(signal ? [signal] : []), expiry.signal);
  try {
    return await retryWithBackoff(attempt, {
      maxAttempts: policy.maxAttempts ?? 3,
      initialMs: 50,
      maxMs: 1_000,
      signal: stop.signal,
      retryIf: (err) => (err as ServiceError).code === status.UNAVAILABLE && Date.now() < deadline,
    });
  } finally {
    expiry.release();
    stop.release();
  }
}
