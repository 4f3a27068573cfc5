// W3C trace context in Kafka message headers (traceparent/tracestate), as the kafkajs
// instrumentation of OpenTelemetry contrib does it.
import { context, propagation, type Context } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

export function injectTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

export function extractTraceContext(headers: IHeaders | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) carrier[key] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return propagation.extract(context.active(), carrier);
}
