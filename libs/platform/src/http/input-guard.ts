// Input no backing store accepts: a NUL character (U+0000) cannot be stored by PostgreSQL in text
// or jsonb, and no prompt, document or name needs one. Refused at the edge, naming where it is,
// instead of failing deep inside a transaction as an internal error.

/** Where the first NUL character of a GraphQL request body is ("query" or a variable path), if any. */
export function findNulCharacter(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { query, variables } = body as { query?: unknown; variables?: unknown };
  // The document may hold a raw NUL or a \u0000 escape (not an escaped backslash before "u0000").
  if (typeof query === 'string' && (query.includes('\u0000') || /(^|[^\\])(\\\\)*\\u0000/.test(query))) return 'query';
  return find(variables, []);
}

function find(value: unknown, path: string[]): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(variables)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key].join('.');
    const found = find(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
