// Text no backing store accepts, refused at the edge naming where it is instead of failing deep
// inside a transaction as an internal error: a NUL character (U+0000), which PostgreSQL cannot
// store in text or jsonb, and a lone surrogate (half of a UTF-16 pair, possible through a JSON
// \uD800 escape), which jsonb refuses and text columns would silently turn into U+FFFD. No
// prompt, document or name needs either. The platform's HTTP server checks every GraphQL request;
// routes and gRPC services that take their input elsewhere call refuseUnstorableText.
import { InputError } from '../errors';

export interface UnstorableText {
  /** "query" or the variable path. */
  field: string;
  /** What was found, for the error message. */
  found: string;
}

const nul = 'a NUL character (U+0000)';
const loneSurrogate = 'a lone UTF-16 surrogate (text that is not well-formed Unicode)';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problemOf(text: string): string | undefined {
  if (text.includes('\u0000')) return nul;
  if (LONE_SURROGATE.test(text)) return loneSurrogate;
  return undefined;
}

/** The first text of a GraphQL request body no backing store accepts, if any. */
export function findUnstorableText(body: unknown): UnstorableText | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { query, variables } = body as { query?: unknown; variables?: unknown };
  if (typeof query === 'string') {
    // The document may hold a raw NUL or an escape of one, \u0000 or (GraphQL 16's variable width)
    // \u{0}, \u{000000}, ... (not an escaped backslash before "u0000").
    const found = /(^|[^\\])(\\\\)*\\u(0000|\{0+\})/.test(query) ? nul : problemOf(query);
    if (found) return { field: 'query', found };
  }
  return findUnstorableValue(variables, [], '(variables)');
}

/** The first string (or object key) in `value` no backing store accepts: its dot path and the problem. */
export function findUnstorableValue(value: unknown, path: string[] = [], rootName = '(value)'): UnstorableText | undefined {
  if (typeof value === 'string') {
    const found = problemOf(value);
    return found ? { field: path.join('.') || rootName, found } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const inKey = problemOf(key);
    if (inKey) return { field: [...path, key].join('.'), found: inKey };
    const found = findUnstorableValue(item, [...path, key], rootName);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Throws InputError (BAD_USER_INPUT / INVALID_ARGUMENT) naming the first field of `fields` (name to value) holding such text. */
export function refuseUnstorableText(fields: Record<string, unknown>): void {
  const found = findUnstorableValue(fields);
  if (found) throw new InputError(`${found.field}: contains ${found.found}, which is not accepted`, found.field);
}
