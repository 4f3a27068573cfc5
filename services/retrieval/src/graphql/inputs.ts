// GraphQL inputs -> domain inputs. Shape rules GraphQL cannot express are InputErrors here;
// everything else is validated by the domain.
import { InputError } from '@llmops/platform';
import type { DocumentInput, MetadataFilter, ScalarValue } from '../domain/model';
import { isScalar } from '../domain/validation';

export interface DocumentArg {
  id: string;
  title?: string | null;
  text: string;
  metadata?: unknown;
}

export interface SearchFilterArg {
  field: string;
  anyOf?: unknown[] | null;
  range?: { gt?: unknown; gte?: unknown; lt?: unknown; lte?: unknown } | null;
}

export function toDocuments(docs: DocumentArg[]): DocumentInput[] {
  return docs.map((d, i) => {
    const metadata = d.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new InputError(`documents.${i}.metadata: must be a JSON object`, `documents.${i}.metadata`);
    }
    return { id: d.id, title: d.title ?? '', text: d.text, metadata: metadata as Record<string, unknown> };
  });
}

export function toFilters(filters: SearchFilterArg[] | null | undefined): MetadataFilter[] {
  return (filters ?? []).map((f, i) => {
    const at = `filters.${i}`;
    const hasTerm = f.anyOf !== null && f.anyOf !== undefined;
    const hasRange = f.range !== null && f.range !== undefined;
    if (hasTerm === hasRange) throw new InputError(`${at}: give exactly one of anyOf and range`, at);
    if (hasTerm) return { field: f.field, kind: 'term', anyOf: f.anyOf!.map((v, j) => scalar(v, `${at}.anyOf.${j}`)) };
    const out: MetadataFilter = { field: f.field, kind: 'range' };
    for (const b of ['gt', 'gte', 'lt', 'lte'] as const) {
      const v = f.range![b];
      if (v !== null && v !== undefined) out[b] = scalar(v, `${at}.range.${b}`);
    }
    return out;
  });
}

function scalar(v: unknown, at: string): ScalarValue {
  if (!isScalar(v)) throw new InputError(`${at}: must be a string, number or boolean`, at);
  return v;
}
