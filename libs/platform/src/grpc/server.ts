// gRPC server helper: message size limits, grpc.health.v1, an async handler adapter that answers
// exactly once, and a shutdown that turns health NOT_SERVING before draining.
import {
  Server,
  ServerCredentials,
  status,
  type handleUnaryCall,
  type Metadata,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { health } from '@llmops/contracts';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Lifecycle } from '../lifecycle';
import { HealthService } from './health';
import { toServiceError } from './status';
import { identityHeader, requireRole, runAs, type Identity, type InternalAuth, type Role } from '../identity';

export interface UnaryContext {
  metadata: Metadata;
  /** The verified caller (see identity/); the handler runs as it, so peer calls carry it on. */
  identity: Identity;
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
}

export interface GrpcServerOptions {
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  auth: InternalAuth;
  host: string;
  port: number;
  maxMessageBytes?: number;
}

/**
 * Whether a call's deadline has passed when it is cancelled. The client cancels its side when its
 * deadline fires, which can reach the server a little before the server's own timer (set from the
 * grpc-timeout header when the call arrived), hence the allowance.
 */
function deadlinePassed(deadline: Date | number, allowanceMs = 100): boolean {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && Date.now() >= at - allowanceMs;
}

export class GrpcServer {
  readonly health = new HealthService();
  private readonly server: Server;

  constructor(private readonly opts: GrpcServerOptions) {
    const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.server = new Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      // Clients balance calls over the addresses a name resolved to when they connected
      // (grpcClientOptions, the chart's headless Services); closing each connection after 5 minutes
      // (calls in flight get 2 more) makes them resolve again and find pods added since.
      'grpc.max_connection_age_ms': 300_000,
      'grpc.max_connection_age_grace_ms': 120_000,
    });
    this.server.addService(health.HealthService, this.health.implementation);
    this.health.setStatus('', true);
  }

  /** Registers a service whose unary handlers are async functions (see `unary`). */
  addService<D extends ServiceDefinition, I extends UntypedServiceImplementation>(name: string, definition: D, implementation: I): void {
    this.server.addService(definition, implementation);
    this.health.setStatus(name, true);
  }

  /**
   * Verifies the caller's signed identity and that it holds `role`, runs the call as that caller;
   * one answer per call, domain errors mapped to statuses, metrics recorded.
   */
  authorize(metadata: Metadata, role: Role, operation: string): Identity {
    const identity = this.opts.auth.authenticate(metadata.get(identityHeader).map(String));
    requireRole(identity, role, operation);
    return identity;
  }

  /** Adapts an async handler that needs `role` (see authorize). */
  unary<Req, Res>(
    service: string,
    method: string,
    role: Role,
    handler: (request: Req, ctx: UnaryContext) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    const { logger, metrics } = this.opts;
    return (call, callback) => {
      const end = metrics.grpcServerHandling.startTimer({ grpc_service: service, grpc_method: method });
      const abort = new AbortController();
      let answered = false;
      // Set when the caller went away before the answer: its deadline passed or it cancelled.
      let cancelled: status.CANCELLED | status.DEADLINE_EXCEEDED | undefined;
      call.on('cancelled', () => {
        if (!answered) cancelled = deadlinePassed(call.getDeadline()) ? status.DEADLINE_EXCEEDED : status.CANCELLED;
        abort.abort();
      });
      const answer = (code: status, fn: () => void) => {
        if (answered) return;
        answered = true;
        end({ grpc_code: status[code] });
        fn();
      };
      // Whatever the handler does once its caller is gone (typically an AbortError) reaches no one:
      // the call is recorded with the caller's reason, and it is no handler failure.
      const answerCancelled = (code: status.CANCELLED | status.DEADLINE_EXCEEDED, err?: unknown) => {
        logger.debug({ err, service, method, grpc_code: status[code] }, 'gRPC call ended before its answer');
        answer(code, () => callback({ code, details: code === status.CANCELLED ? 'Cancelled by the client' : 'Deadline exceeded' }));
      };
      const run = async () => {
        const identity = this.authorize(call.metadata, role, `${service}.${method}`);
        return runAs(identity, () => handler(call.request, { metadata: call.metadata, identity, signal: abort.signal }));
      };
      run().then(
        (response) => (cancelled !== undefined ? answerCancelled(cancelled) : answer(status.OK, () => callback(null, response))),
        (err: unknown) => {
          if (cancelled !== undefined) return answerCancelled(cancelled, err);
          const serviceError = toServiceError(err);
          if (serviceError.code === status.INTERNAL) logger.error({ err, service, method }, 'gRPC handler failed');
          answer(serviceError.code ?? status.INTERNAL, () => callback(serviceError));
        },
      );
    };
  }

  async start(): Promise<number> {
    const { host, port, lifecycle, logger } = this.opts;
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    // Calls in flight may finish within the shutdown grace (less a margin for the stops after the servers).
    lifecycle.onDrain('grpc server', () => this.stop(lifecycle.drainBudgetMs()));
    logger.info({ address: `${host}:${bound}` }, 'gRPC server listening');
    return bound;
  }

  private stop(drainMs: number): Promise<void> {
    this.health.setAllNotServing();
    this.health.endWatches();
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), drainMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
