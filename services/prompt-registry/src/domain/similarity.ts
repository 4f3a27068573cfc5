// Similar prompts: every version's text is embedded by the encoder (document tower) and indexed;
// a search embeds the query text (query tower) and ranks versions by cosine similarity.
import { InputError } from '@llmops/platform';
import type { PromptVersion } from './model';
import { bodyAsText } from './diff';

export interface PromptEmbedder {
  embed(texts: string[], inputType: 'QUERY' | 'DOCUMENT'): Promise<{ model: string; vectors: Float32Array[] }>;
}

export interface IndexedVersion {
  projectId: string;
  versionId: string;
  promptName: string;
  number: number;
  text: string;
  model: string;
  vector: Float32Array;
}

export interface PromptIndex {
  /** Idempotent by version id. */
  upsert(doc: IndexedVersion): Promise<void>;
  /** The `k` nearest versions of one project. */
  search(vector: Float32Array, model: string, k: number, projectId: string): Promise<Array<{ versionId: string; score: number }>>;
}

export const similarityLimits = { maxK: 50, maxTextLength: 20_000 } as const;

export class PromptSimilarity {
  constructor(
    private readonly embedder: PromptEmbedder,
    private readonly index: PromptIndex,
  ) {}

  async indexVersion(version: PromptVersion, projectId: string): Promise<void> {
    const text = bodyAsText(version.body);
    const { model, vectors } = await this.embedder.embed([text.slice(0, similarityLimits.maxTextLength)], 'DOCUMENT');
    await this.index.upsert({ projectId, versionId: version.id, promptName: version.promptName, number: version.number, text, model, vector: vectors[0]! });
  }

  async search(text: string, k: number, projectId: string): Promise<Array<{ versionId: string; score: number }>> {
    if (!text.trim()) throw new InputError('text: must not be empty', 'text');
    if (text.length > similarityLimits.maxTextLength) {
      throw new InputError(`text: must be at most ${similarityLimits.maxTextLength} characters`, 'text');
    }
    if (!Number.isInteger(k) || k < 1 || k > similarityLimits.maxK) throw new InputError(`k: must be between 1 and ${similarityLimits.maxK}`, 'k');
    const { model, vectors } = await this.embedder.embed([text], 'QUERY');
    return this.index.search(vectors[0]!, model, k, projectId);
  }
}
