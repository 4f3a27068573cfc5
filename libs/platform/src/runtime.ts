// The per-process runtime every program starts from: logger, metrics registry and lifecycle,
// with signal handling installed. Composition roots build everything else on top.
import { ConfigError, type CommonConfig } from './config';
import { InternalAuth, setProcessAuth } from './identity/internal-auth';
import { Lifecycle } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { setPiiRedaction } from './redaction';

export interface Runtime {
  service: string;
  config: CommonConfig;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** Verifies incoming identity headers and signs outgoing ones. */
  auth: InternalAuth;
}

export function createRuntime(service: string, config: CommonConfig): Runtime {
  const auth = InternalAuth.fromConfig(config);
  setProcessAuth(auth, service);
  setPiiRedaction(config.REDACT_PII);
  const logger = createLogger(service, config.LOG_LEVEL, { redactPii: config.REDACT_PII });
  const metrics = createMetrics(service);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_GRACE_MS);
  lifecycle.installProcessHandlers();
  return { service, config, logger, metrics, lifecycle, auth };
}

/** Runs a composition root; a failure before the service is up is logged and exits 1. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
