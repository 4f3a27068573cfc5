// OpenTelemetry bootstrap. Imported by each program's `instrumentation.ts`, which is the first
// import of its entry point, so that http and grpc are patched before anything loads them.
// Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; context propagation
// (W3C traceparent) works either way.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RedactingSpanProcessor } from './tracing-redaction';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';
import { booleanFlag, loadConfig } from './config';

const tracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  REDACT_PII: booleanFlag(false),
});

export interface Tracing {
  shutdown(): Promise<void>;
}

export function startTracing(serviceName: string, extraProcessors: SpanProcessor[] = []): Tracing {
  const env = loadConfig(tracingEnv);
  if (env.OTEL_SDK_DISABLED === 'true') return { shutdown: async () => {} };
  // First, so that every later processor and exporter sees the masked span.
  const spanProcessors = [...(env.REDACT_PII ? [new RedactingSpanProcessor()] : []), ...extraProcessors];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const url = `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors,
    // Traces only. Left unset, the SDK would also export metrics (the instrumentations' own) and
    // logs over OTLP, to localhost:4318 when no endpoint is set: refused every minute, and retried
    // at shutdown for seconds, past the grace. Metrics are Prometheus's (/metrics), logs stdout's.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url === '/metrics' || req.url === '/healthz' || req.url === '/readyz',
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
