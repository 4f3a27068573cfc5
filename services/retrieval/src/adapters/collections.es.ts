import type { Client } from '@elastic/elasticsearch';
import { UnavailableError } from '@llmops/platform';

export interface CollectionSummary {
  name: string;
  documentCount: number;
}

/** Collections are Elasticsearch indices under one prefix. */
export class EsCollections {
  constructor(private readonly es: Client, private readonly prefix: string) {}

  async list(): Promise<CollectionSummary[]> {
    try {
      const rows = await this.es.cat.indices({ index: `${this.prefix}*`, format: 'json', h: ['index', 'docs.count'] });
      return rows
        .map((r) => ({ name: String(r.index).slice(this.prefix.length), documentCount: Number(r['docs.count'] ?? 0) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    } catch (err) {
      throw new UnavailableError('elasticsearch', { cause: err });
    }
  }
}
