// A remote OpenAI-compatible embeddings server (Hugging Face TEI, vLLM): POST {url}/v1/embeddings.
// The encoder keeps tokenizing locally (token counts, truncation, batching limits) and sends the
// kept text; the server answers pooled vectors, normalised again by the domain.
import { UnavailableError } from '@llmops/platform';
import type { EmbeddingModelSpec } from '../domain/catalog';
import type { EmbeddingBackend, ModelInput } from '../domain/ports';

export interface OpenAiBackendOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  /** The server's model name; defaults to the catalog's served name. */
  model?: string;
}

interface EmbeddingsResponse {
  data?: Array<{ index: number; embedding: number[] }>;
}

export class OpenAiEmbeddingBackend implements EmbeddingBackend {
  readonly kind = 'OPENAI' as const;
  private readonly url: string;

  constructor(
    private readonly spec: EmbeddingModelSpec,
    private readonly options: OpenAiBackendOptions,
  ) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/v1/embeddings`;
  }

  async embed(batch: ModelInput[]): Promise<Float32Array[]> {
    const dependency = `embedding backend ${this.url}`;
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.options.model ?? this.spec.servedName, input: batch.map((b) => b.text), encoding_format: 'float' }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new UnavailableError(dependency, { cause: err });
    }
    if (!res.ok) {
      const detail = (await res.text().catch(() => '')).slice(0, 300);
      throw new UnavailableError(dependency, { cause: new Error(`HTTP ${res.status}: ${detail}`) });
    }
    // Past the headers the server can still fail us: a body that times out or breaks off, a page
    // that is not JSON (a proxy's HTML with status 200), an answer of the wrong shape. None of it
    // is the caller's doing, so it is UNAVAILABLE like an outage, with what was wrong as the cause.
    const wrong = (what: string, cause?: unknown) => new UnavailableError(dependency, { cause: new Error(`${dependency} ${what}`, { cause }) });
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw wrong(`failed while sending its answer: ${(err as Error).message}`, err);
    }
    let body: EmbeddingsResponse;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch (err) {
      throw wrong(`answered HTTP ${res.status} that is not JSON (${res.headers.get('content-type') ?? 'no content type'}): ${text.slice(0, 200)}`, err);
    }
    const data: unknown = body?.data;
    if (!Array.isArray(data)) throw wrong('answered no data array');
    if (data.length !== batch.length) throw wrong(`answered ${data.length} embeddings for ${batch.length} inputs`);
    const vectors = new Array<Float32Array>(batch.length);
    for (const item of data as Array<Partial<NonNullable<EmbeddingsResponse['data']>[number]> | null>) {
      const index = item?.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= batch.length) {
        throw wrong(`answered index ${String(index)} for ${batch.length} inputs`);
      }
      const embedding: unknown = item?.embedding;
      if (!Array.isArray(embedding)) throw wrong(`answered no embedding array for input ${index}`);
      if (embedding.length !== this.spec.dimensions) {
        throw wrong(`answered ${embedding.length} dimensions; ${this.spec.name} has ${this.spec.dimensions}`);
      }
      if (!embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) throw wrong(`answered an embedding for input ${index} that is not all finite numbers`);
      vectors[index] = Float32Array.from(embedding as number[]);
    }
    for (let i = 0; i < batch.length; i++) if (!vectors[i]) throw wrong(`answered no embedding for input ${i}`);
    return vectors;
  }

  async close(): Promise<void> {}
}
