// One loaded base model: its tokenizer, its backend and the micro-batcher in front of it. Every
// embedding model (and tower) built on the same base model shares its runner, so their requests
// are batched together.
import type { EmbeddingModelSpec } from './catalog';
import { MicroBatcher, type BatchLimits, type BatchStats, type Priority } from './micro-batcher';
import type { EmbeddingBackend, ModelInput, Tokenizer } from './ports';
import { tokenizeTruncated } from './truncation';

export interface RunnerOutput {
  /** Pooled, not normalised. */
  vectors: Float32Array[];
  tokenCounts: number[];
  truncated: boolean[];
}

export class ModelRunner {
  private readonly batcher: MicroBatcher<ModelInput, Float32Array>;

  constructor(
    readonly spec: EmbeddingModelSpec,
    private readonly tokenizer: Tokenizer,
    readonly backend: EmbeddingBackend,
    limits: BatchLimits,
    onBatch: (model: string, stats: BatchStats) => void = () => {},
  ) {
    this.batcher = new MicroBatcher(
      (batch) => backend.embed(batch),
      (input) => input.ids.length,
      limits,
      (stats) => onBatch(spec.name, stats),
    );
  }

  /** Tokenizes and truncates synchronously; the model run is shared with concurrent callers of the same priority. */
  async embed(texts: string[], signal?: AbortSignal, priority: Priority = 'interactive'): Promise<RunnerOutput> {
    const inputs = texts.map((t) => tokenizeTruncated(this.tokenizer, t, this.spec.maxTokens));
    const vectors = await this.batcher.submit(inputs, signal, priority);
    return { vectors, tokenCounts: inputs.map((i) => i.ids.length), truncated: inputs.map((i) => i.truncated) };
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
