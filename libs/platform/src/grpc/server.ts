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

export interface UnaryContext {
  metadata: Metadata;
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
}

export interface GrpcServerOptions {
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  host: string;
  port: number;
  maxMessageBytes?: number;
}

export class GrpcServer {
  readonly health = new HealthService();
  private readonly server: Server;

  constructor(private readonly opts: GrpcServerOptions) {
    const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.server = new Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
    this.server.addService(health.HealthService, this.health.implementation);
    this.health.setStatus('', true);
  }

  /** Registers a service whose unary handlers are async functions (see `unary`). */
  addService<D extends ServiceDefinition, I extends UntypedServiceImplementation>(name: string, definition: D, implementation: I): void {
    this.server.addService(definition, implementation);
    this.health.setStatus(name, true);
  }

  /** Adapts an async handler: one answer per call, domain errors mapped to statuses, metrics recorded. */
  unary<Req, Res>(
    service: string,
    method: string,
    handler: (request: Req, ctx: UnaryContext) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    const { logger, metrics } = this.opts;
    return (call, callback) => {
      const end = metrics.grpcServerHandling.startTimer({ grpc_service: service, grpc_method: method });
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      let answered = false;
      const answer = (code: status, fn: () => void) => {
        if (answered) return;
        answered = true;
        end({ grpc_code: status[code] });
        fn();
      };
      handler(call.request, { metadata: call.metadata, signal: abort.signal }).then(
        (response) => answer(status.OK, () => callback(null, response)),
        (err: unknown) => {
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
    lifecycle.onStop('grpc server', () => this.stop());
    logger.info({ address: `${host}:${bound}` }, 'gRPC server listening');
    return bound;
  }

  private stop(): Promise<void> {
    this.health.setAllNotServing();
    this.health.endWatches();
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), 5_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
