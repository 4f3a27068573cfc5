import pino, { type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { redactPiiDeep } from './redaction';

export type { Logger };

export interface LoggerOptions {
  /** Mask personal data (e-mail, phone, card, IBAN, IPv4) in every message and logged value (REDACT_PII). */
  redactPii?: boolean;
  /** Where lines go (default stdout); tests pass a stream. */
  destination?: pino.DestinationStream;
}

/** JSON logs on stdout, stamped with the service name and the active trace. */
export function createLogger(service: string, level: string, opts: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.password', '*.authorization', '*.apiKey', 'headers.authorization'], censor: '[redacted]' },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  if (opts.redactPii) {
    // Every argument of a log call (the merged object, an error, the message and its interpolation
    // values). Child loggers' bindings are the code's own (components, ids) and are not masked.
    options.hooks = {
      logMethod(args, method) {
        method.apply(this, args.map((a) => redactPiiDeep(a)) as Parameters<typeof method>);
      },
    };
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

