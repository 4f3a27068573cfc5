// REDACT_PII for traces: a span processor that masks personal data (see redaction.ts) in a span's
// string attributes, its events' attributes (exception messages included) and its status message
// while the span is ending, before any other processor or exporter reads it. It must be the first
// processor of the tracer provider. Uses SpanProcessor.onEnding (the only hook at which a span is
// still writable), which @opentelemetry/sdk-trace marks experimental: the unit test
// (libs/platform/test/redaction.unit.test.ts) fails if an upgrade stops calling it.
//
// URLs are recorded percent-encoded: the HTTP instrumentation stores `url.query` (and `url.full`)
// as URLSearchParams writes them, `ada%40example.com`, `+44+20+7946+0958`, which the patterns do
// not match. So each percent- or form-encoded part of a value (between `&`, `=`, `?`, `#`, `/` and
// white space) is also decoded, masked and, when that changed it, encoded again: the value stays
// a parseable URL or query string, e.g. `variables=%7B%22email%22%3A%22%5Bemail%5D%22%7D`.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactPii } from './redaction';

/** A part of a URL that holds an escape (`%40`) or a form-encoded space (`+`). */
const encodedPart = /[^&=?#/\s]*(?:%[0-9A-Fa-f]{2}|\+)[^&=?#/\s]*/g;

function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined; // a malformed escape: not encoded text
  }
}

/** `text` masked as it reads, and in every percent-encoded part of it once decoded. */
export function redactPiiInValue(text: string): string {
  const masked = redactPii(text);
  if (!masked.includes('%') && !masked.includes('+')) return masked;
  return masked.replace(encodedPart, (part) => {
    const decoded = decodePart(part);
    if (decoded === undefined) return part;
    const redacted = redactPii(decoded);
    return redacted === decoded ? part : encodeURIComponent(redacted);
  });
}

export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    for (const [key, value] of Object.entries(span.attributes)) {
      if (typeof value === 'string') {
        const masked = redactPiiInValue(value);
        if (masked !== value) span.setAttribute(key, masked);
      } else if (Array.isArray(value) && value.some((v) => typeof v === 'string')) {
        span.setAttribute(key, (value as unknown[]).map((v) => (typeof v === 'string' ? redactPiiInValue(v) : v)) as string[]);
      }
    }
    for (const event of span.events) {
      if (!event.attributes) continue;
      const attributes = event.attributes as Record<string, unknown>;
      for (const [key, value] of Object.entries(attributes)) if (typeof value === 'string') attributes[key] = redactPiiInValue(value);
    }
    if (span.status.message) span.status.message = redactPiiInValue(span.status.message);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
