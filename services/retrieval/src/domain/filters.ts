// Metadata filters checked against what the collection's documents actually have: an unknown
// field or a value of the wrong type is an InputError naming the filter, never an empty result
// or an Elasticsearch error.
import { InputError, UnreachableCaseError } from '@llmops/platform';
import type { MetadataFieldType, MetadataFilter, ScalarValue } from './model';

/** What Elasticsearch's strict_date_optional_time accepts (the only format dates are mapped with). */
const isoDate = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$/;

export function checkFilters(filters: MetadataFilter[], fields: Map<string, MetadataFieldType>): MetadataFilter[] {
  return filters.map((f, i) => {
    const at = `filters.${i}`;
    const type = fields.get(f.field);
    if (type === undefined) {
      const children = [...fields.keys()].filter((k) => k.startsWith(`${f.field}.`));
      const known = [...fields.keys()].sort();
      throw new InputError(
        children.length
          ? `${at}.field: ${f.field} is an object; filter on one of its fields: ${children.join(', ')}`
          : `${at}.field: no document of this collection has the metadata field ${f.field} (known: ${known.join(', ') || 'none'})`,
        `${at}.field`,
        { known },
      );
    }
    if (f.kind === 'term') return { ...f, anyOf: f.anyOf.map((v, j) => termValue(type, v, `${at}.anyOf.${j}`, f.field)) };
    if (type === 'boolean' || type === 'text' || type === 'other') {
      throw new InputError(`${at}.range: ${f.field} is a ${type} field; range filters need a number, date or keyword field`, `${at}.range`);
    }
    const out: MetadataFilter = { field: f.field, kind: 'range' };
    for (const b of ['gt', 'gte', 'lt', 'lte'] as const) {
      if (f[b] !== undefined) out[b] = termValue(type, f[b], `${at}.range.${b}`, f.field);
    }
    return out;
  });
}

function termValue(type: MetadataFieldType, v: ScalarValue, at: string, field: string): ScalarValue {
  const wrong = (want: string) => new InputError(`${at}: ${field} is a ${type} field; give ${want} (got ${JSON.stringify(v)})`, at);
  switch (type) {
    case 'number':
      if (typeof v !== 'number') throw wrong('a number');
      // NaN and ±Infinity would reach Elasticsearch as null (JSON), an open bound.
      if (!Number.isFinite(v)) throw new InputError(`${at}: must be a finite number (got ${String(v)})`, at);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw wrong('true or false');
      return v;
    case 'date':
      if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && isoDate.test(v) && !Number.isNaN(Date.parse(v)))) return v;
      throw wrong('an ISO 8601 date (2024-05-31 or 2024-05-31T12:00:00Z) or epoch milliseconds');
    case 'keyword':
      return String(v);
    case 'text':
    case 'other':
      throw new InputError(`${at}: ${field} is not a filterable field (${type})`, at);
    default:
      throw new UnreachableCaseError(type);
  }
}
