// Input rules shared by every transport: each violation is an InputError naming the field.
import { InputError } from '@llmops/platform';
import type { DocumentInput, MetadataFilter, ScalarValue } from './model';

export const limits = {
  collectionName: 100,
  description: 2_000,
  documentsPerCall: 1_000,
  documentIdBytes: 256,
  title: 2_000,
  text: 100_000,
  metadataBytes: 16_384,
  metadataDepth: 4,
  query: 2_000,
  maxK: 100,
  filters: 20,
  termValues: 100,
} as const;

const collectionNamePattern = /^[a-z0-9][a-z0-9_-]*$/;
const metadataKeyPattern = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const fieldPathPattern = /^[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$/;
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

export function isCollectionName(name: string): boolean {
  return collectionNamePattern.test(name) && name.length <= limits.collectionName;
}

export function validateCollectionName(name: string, field = 'name'): string {
  if (!isCollectionName(name)) {
    throw new InputError(
      `${field}: a collection name is 1 to ${limits.collectionName} lowercase letters, digits, '-' or '_', starting with a letter or digit`,
      field,
    );
  }
  return name;
}

export function validateDescription(description: string | null): string | null {
  if (description !== null && description.length > limits.description) {
    throw new InputError(`description: must be at most ${limits.description} characters`, 'description');
  }
  return description;
}

/** Checks one ingestDocuments call: count, ids (unique), texts, titles and metadata. */
export function validateDocuments(documents: DocumentInput[], field = 'documents'): void {
  if (documents.length === 0) throw new InputError(`${field}: give at least one document`, field);
  if (documents.length > limits.documentsPerCall) {
    throw new InputError(`${field}: at most ${limits.documentsPerCall} documents per call (got ${documents.length})`, field);
  }
  const seen = new Map<string, number>();
  documents.forEach((d, i) => {
    const at = `${field}.${i}`;
    validateDocument(d, at);
    const first = seen.get(d.id);
    if (first !== undefined) throw new InputError(`${at}.id: ${JSON.stringify(d.id)} is also document ${first} of this call`, `${at}.id`);
    seen.set(d.id, i);
  });
}

export function isDocumentId(id: string): boolean {
  return !!id && Buffer.byteLength(id, 'utf8') <= limits.documentIdBytes && !controlCharacters.test(id) && id.trim() === id;
}

export function validateDocumentId(id: string, field: string): string {
  if (!isDocumentId(id)) throw new InputError(`${field}: 1 to ${limits.documentIdBytes} bytes, no control characters or surrounding spaces`, field);
  return id;
}

export function validateDocument(d: DocumentInput, at: string): void {
  validateDocumentId(d.id, `${at}.id`);
  if (d.title.length > limits.title) throw new InputError(`${at}.title: must be at most ${limits.title} characters`, `${at}.title`);
  if (!d.text.trim()) throw new InputError(`${at}.text: must not be empty`, `${at}.text`);
  if (d.text.length > limits.text) {
    throw new InputError(`${at}.text: must be at most ${limits.text} characters (got ${d.text.length})`, `${at}.text`);
  }
  validateMetadata(d.metadata, `${at}.metadata`);
}

export function validateMetadata(metadata: unknown, at: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new InputError(`${at}: must be a JSON object`, at);
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > limits.metadataBytes) {
    throw new InputError(`${at}: must be at most ${limits.metadataBytes} bytes of JSON`, at);
  }
  const walk = (value: Record<string, unknown>, path: string, depth: number): void => {
    if (depth > limits.metadataDepth) throw new InputError(`${path}: objects nest at most ${limits.metadataDepth} deep`, path);
    for (const [key, v] of Object.entries(value)) {
      const p = `${path}.${key}`;
      if (!metadataKeyPattern.test(key)) throw new InputError(`${p}: keys are letters, digits, '_' or '-' (no dots)`, p);
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          if (!isScalar(x) && x !== null) throw new InputError(`${p}.${i}: arrays hold strings, numbers or booleans`, `${p}.${i}`);
        });
      } else if (typeof v === 'object' && v !== null) {
        walk(v as Record<string, unknown>, p, depth + 1);
      } else if (!isScalar(v) && v !== null) {
        throw new InputError(`${p}: must be a string, number, boolean, array or object`, p);
      }
    }
  };
  walk(metadata as Record<string, unknown>, at, 1);
}

export function validateQuery(query: string): string {
  if (!query.trim()) throw new InputError('query: must not be empty', 'query');
  if (query.length > limits.query) throw new InputError(`query: must be at most ${limits.query} characters (got ${query.length})`, 'query');
  return query;
}

export function validateK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > limits.maxK) throw new InputError(`k: must be between 1 and ${limits.maxK}`, 'k');
  return k;
}

/** Shape rules of filters; whether their fields exist and their values fit is checked against the collection. */
export function validateFilters(filters: MetadataFilter[]): MetadataFilter[] {
  if (filters.length > limits.filters) throw new InputError(`filters: at most ${limits.filters}`, 'filters');
  filters.forEach((f, i) => {
    const at = `filters.${i}`;
    if (!fieldPathPattern.test(f.field)) throw new InputError(`${at}.field: a metadata field path such as "year" or "source.kind"`, `${at}.field`);
    if (f.kind === 'term') {
      if (f.anyOf.length === 0 || f.anyOf.length > limits.termValues) {
        throw new InputError(`${at}: a term filter takes 1 to ${limits.termValues} values`, `${at}.anyOf`);
      }
      f.anyOf.forEach((v, j) => {
        if (!isScalar(v)) throw new InputError(`${at}.anyOf.${j}: must be a string, number or boolean`, `${at}.anyOf.${j}`);
      });
    } else {
      const bounds = (['gt', 'gte', 'lt', 'lte'] as const).filter((b) => f[b] !== undefined);
      if (bounds.length === 0) throw new InputError(`${at}.range: give at least one of gt, gte, lt, lte`, `${at}.range`);
      if (f.gt !== undefined && f.gte !== undefined) throw new InputError(`${at}.range: give gt or gte, not both`, `${at}.range`);
      if (f.lt !== undefined && f.lte !== undefined) throw new InputError(`${at}.range: give lt or lte, not both`, `${at}.range`);
      for (const b of bounds) {
        const v = f[b];
        if (typeof v !== 'string' && typeof v !== 'number') throw new InputError(`${at}.range.${b}: must be a number or a string`, `${at}.range.${b}`);
        // NaN and ±Infinity (a gRPC double can carry them) would reach Elasticsearch as null, an
        // open bound: `gte: Infinity` would match every document.
        if (typeof v === 'number' && !Number.isFinite(v)) throw new InputError(`${at}.range.${b}: must be a finite number (got ${String(v)})`, `${at}.range.${b}`);
      }
    }
  });
  return filters;
}

export function isScalar(v: unknown): v is ScalarValue {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
}
