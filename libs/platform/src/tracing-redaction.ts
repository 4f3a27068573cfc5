// REDACT_PII for traces: a span processor that masks personal data (see redaction.ts) in a span's
// string attributes, its events' attributes (exception messages included) and its status message
// while the span is ending, before any other processor or exporter reads it. It must be the first
// processor of the tracer provider. Uses SpanProcessor.onEnding (the only hook at which a span is
// still writable), which @opentelemetry/sdk-trace marks experimental: the unit test
// (libs/platform/test/redaction.unit.test.ts) fails if an upgrade stops calling it.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactPii } from './redaction';

export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    for (const [key, value] of Object.entries(span.attributes)) {
      if (typeof value === 'string') {
        const masked = redactPii(value);
        if (masked !== value) span.setAttribute(key, masked);
      } else if (Array.isArray(value) && value.some((v) => typeof v === 'string')) {
        span.setAttribute(key, (value as unknown[]).map((v) => (typeof v === 'string' ? redactPii(v) : v)) as string[]);
      }
    }
    for (const event of span.events) {
      if (!event.attributes) continue;
      const attributes = event.attributes as Record<string, unknown>;
      for (const [key, value] of Object.entries(attributes)) if (typeof value === 'string') attributes[key] = redactPii(value);
    }
    if (span.status.message) span.status.message = redactPii(span.status.message);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
