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
    const body = (await res.json()) as EmbeddingsResponse;
    const data = body.data ?? [];
    if (data.length !== batch.length) throw new Error(`${dependency} answered ${data.length} embeddings for ${batch.length} inputs`);
    const vectors = new Array<Float32Array>(batch.length);
    for (const item of data) {
      if (!Number.isInteger(item.index) || item.index < 0 || item.index >= batch.length) {
        throw new Error(`${dependency} answered index ${item.index} for ${batch.length} inputs`);
      }
      if (item.embedding.length !== this.spec.dimensions) {
        throw new Error(`${dependency} answered ${item.embedding.length} dimensions; ${this.spec.name} has ${this.spec.dimensions}`);
      }
      vectors[item.index] = Float32Array.from(item.embedding);
    }
    for (let i = 0; i < batch.length; i++) if (!vectors[i]) throw new Error(`${dependency} answered no embedding for input ${i}`);
    return vectors;
  }

  async close(): Promise<void> {}
}
