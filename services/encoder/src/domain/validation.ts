// Input rules for embedding requests; a violation is an InputError naming the field.
import { InputError } from '@llmops/platform';

export interface RequestLimits {
  maxTexts: number;
  /** UTF-8 bytes per text. */
  maxTextBytes: number;
}

export function validateTexts(texts: string[], limits: RequestLimits, field = 'texts'): void {
  if (texts.length === 0) throw new InputError(`${field}: at least one text is required`, field);
  if (texts.length > limits.maxTexts) {
    throw new InputError(`${field}: at most ${limits.maxTexts} texts per request, got ${texts.length}`, field, { limit: limits.maxTexts });
  }
  texts.forEach((text, i) => {
    if (text.trim().length === 0) throw new InputError(`${field}.${i}: must not be empty or blank`, `${field}.${i}`);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.maxTextBytes) {
      throw new InputError(`${field}.${i}: ${bytes} bytes is over the limit of ${limits.maxTextBytes} bytes`, `${field}.${i}`, {
        limit: limits.maxTextBytes,
      });
    }
  });
}
