// The CLIs talk to retrieval through the public GraphQL API (the gateway, or the subgraph itself),
// like any other client.
import { credentialHeaders } from '@llmops/platform';
import type { DocumentInput, IngestionStatus, MetadataFilter, SearchMode } from '../domain/model';

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly extensions: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface JobStatus {
  id: string;
  submitted: number;
  processed: number;
  failed: number;
  status: IngestionStatus;
  failures: Array<{ documentId: string; reason: string }>;
}

export interface RemoteHit {
  id: string;
  score: number;
  keywordScore: number | null;
  vectorScore: number | null;
}

export class RetrievalClient {
  constructor(private readonly url: string) {}

  async call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', ...credentialHeaders() }, body: JSON.stringify({ query, variables }) });
    } catch (err) {
      throw new Error(`cannot reach ${this.url} (is the stack running? npm start): ${(err as Error).message}`);
    }
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
    if (body.errors?.length) {
      const e = body.errors[0]!;
      throw new GraphQLRequestError(e.message, e.extensions?.['code'] as string | undefined, e.extensions ?? {});
    }
    return body.data as T;
  }

  async createCollection(name: string, model: string | null, description: string | null): Promise<{ model: string; dimensions: number }> {
    const data = await this.call<{ createCollection: { encoder: { model: string; dimensions: number } } }>(
      `mutation($input: CreateCollectionInput!) { createCollection(input: $input) { encoder { model dimensions } } }`,
      { input: { name, model, description } },
    );
    return data.createCollection.encoder;
  }

  async collection(name: string): Promise<{ documentCount: number; encoder: { model: string } } | null> {
    const data = await this.call<{ collection: { documentCount: number; encoder: { model: string } } | null }>(
      `query($name: String!) { collection(name: $name) { documentCount encoder { model } } }`,
      { name },
    );
    return data.collection;
  }

  async deleteCollection(name: string): Promise<boolean> {
    return (await this.call<{ deleteCollection: boolean }>(`mutation($name: String!) { deleteCollection(name: $name) }`, { name })).deleteCollection;
  }

  async ingest(collection: string, documents: DocumentInput[]): Promise<string> {
    const data = await this.call<{ ingestDocuments: { id: string } }>(
      `mutation($c: String!, $d: [DocumentInput!]!) { ingestDocuments(collection: $c, documents: $d) { id } }`,
      { c: collection, d: documents },
    );
    return data.ingestDocuments.id;
  }

  async job(id: string, failures = 0): Promise<JobStatus> {
    const data = await this.call<{ ingestionJob: JobStatus }>(
      `query($id: ID!, $f: Int!) { ingestionJob(id: $id) { id submitted processed failed status failures(first: $f) { documentId reason } } }`,
      { id, f: failures },
    );
    return data.ingestionJob;
  }

  async search(collection: string, query: string, mode: SearchMode, k: number, filters: MetadataFilter[] = []): Promise<RemoteHit[]> {
    const data = await this.call<{ search: { hits: Array<{ score: number; keywordScore: number | null; vectorScore: number | null; document: { id: string } }> } }>(
      `query($c: String!, $q: String!, $m: SearchMode!, $k: Int!, $f: [SearchFilter!]) {
        search(collection: $c, query: $q, mode: $m, k: $k, filters: $f) { hits { score keywordScore vectorScore document { id } } } }`,
      {
        c: collection,
        q: query,
        m: mode,
        k,
        f: filters.map((f) => (f.kind === 'term' ? { field: f.field, anyOf: f.anyOf } : { field: f.field, range: { gt: f.gt, gte: f.gte, lt: f.lt, lte: f.lte } })),
      },
    );
    return data.search.hits.map((h) => ({ id: h.document.id, score: h.score, keywordScore: h.keywordScore, vectorScore: h.vectorScore }));
  }
}
