// grpc.health.v1 served from a status map: '' is the whole server, other keys are service names.
import { status as grpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import { health } from '@llmops/contracts';

const { HealthCheckResponse_ServingStatus: ServingStatus } = health;
type ServingStatus = health.HealthCheckResponse_ServingStatus;

export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse> }>();

  setStatus(service: string, serving: boolean): void {
    const status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    this.statuses.set(service, status);
    for (const w of this.watchers) if (w.service === service) w.call.write({ status });
  }

  /** Every registered service becomes NOT_SERVING (used before draining). */
  setAllNotServing(): void {
    for (const service of this.statuses.keys()) this.setStatus(service, false);
  }

  readonly implementation: health.HealthServer = {
    check: (call, callback) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback({ code: grpcStatus.NOT_FOUND, details: `unknown service: ${call.request.service}` });
        return;
      }
      callback(null, { status });
    },
    watch: (call) => {
      const service = call.request.service;
      const watcher = { service, call };
      this.watchers.add(watcher);
      call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      call.on('cancelled', () => this.watchers.delete(watcher));
      call.on('close', () => this.watchers.delete(watcher));
    },
  };

  endWatches(): void {
    for (const w of this.watchers) w.call.end();
    this.watchers.clear();
  }
}
