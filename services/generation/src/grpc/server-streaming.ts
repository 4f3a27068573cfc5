// The server-streaming counterpart of the platform's `unary` adapter: an async handler writes
// messages; the call ends once, with OK or the handler's error mapped to a status. A cancelled
// call (client gone, deadline passed) aborts the handler's signal.
import { status, type handleServerStreamingCall, type Metadata } from '@grpc/grpc-js';
import { runAs, toServiceError, type GrpcServer, type Identity, type Logger, type Metrics, type Role } from '@llmops/platform';

export interface StreamContext<Res> {
  metadata: Metadata;
  identity: Identity;
  signal: AbortSignal;
  /** Milliseconds left before the caller's deadline; undefined when it set none. */
  remainingMs: number | undefined;
  write(message: Res): void;
}

export function serverStreaming<Req, Res>(
  deps: { logger: Logger; metrics: Metrics; server: GrpcServer },
  service: string,
  method: string,
  role: Role,
  handler: (request: Req, ctx: StreamContext<Res>) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const end = deps.metrics.grpcServerHandling.startTimer({ grpc_service: service, grpc_method: method });
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new Error('call cancelled')));
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const ctx: Omit<StreamContext<Res>, 'identity'> = {
      metadata: call.metadata,
      signal: abort.signal,
      remainingMs: Number.isFinite(deadlineMs) ? Math.max(0, deadlineMs - Date.now()) : undefined,
      write: (message) => {
        if (!abort.signal.aborted) call.write(message);
      },
    };
    const run = async () => {
      const identity = deps.server.authorize(call.metadata, role, `${service}.${method}`);
      return runAs(identity, () => handler(call.request, { ...ctx, identity }));
    };
    run().then(
      () => {
        end({ grpc_code: status[status.OK] });
        call.end();
      },
      (err: unknown) => {
        if (abort.signal.aborted) {
          end({ grpc_code: status[status.CANCELLED] });
          return;
        }
        const serviceError = toServiceError(err);
        if (serviceError.code === status.INTERNAL) deps.logger.error({ err, service, method }, 'gRPC handler failed');
        end({ grpc_code: status[serviceError.code ?? status.INTERNAL] });
        call.emit('error', serviceError);
      },
    );
  };
}
