// Collections are bound to the encoder model that embedded their documents. Binding records the
// model's name, dimensions and its document tower's embedding of a fixed probe text; before a
// collection's vectors are searched or added to, the encoder's current answer for the probe is
// compared with the recorded one (at most once a minute per collection), so that vectors from
// another model are an error rather than silently meaningless results.
import type { Collection, EncoderBinding } from './model';
import type { Embedder, Embeddings } from './ports';
import { EncoderMismatchError, UnknownReferenceError } from './errors';
import { dot } from './vectors';

export const probeText = 'Retrieval collections keep the embedding of this sentence to recognise the encoder that built them.';

/**
 * The same document tower embeds the probe with cosine above 0.98 even when batched with other
 * texts (int8 activations are quantized per batch); unrelated models land near 0.
 */
export const minProbeCosine = 0.9;

export class EncoderBindings {
  private readonly verified = new Map<string, { at: number; problem: string | null }>();

  constructor(
    private readonly embedder: Embedder,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks the encoder which model answers for `model` (null: its default) and records its probe embedding. */
  async bind(model: string | null): Promise<EncoderBinding> {
    const res = await this.embedder.embed(model, 'DOCUMENT', [probeText]);
    return { model: res.model, dimensions: res.dimensions, fingerprint: Array.from(res.vectors[0]!, (x) => Number(x.toFixed(6))) };
  }

  /** Throws EncoderMismatchError when the encoder no longer serves what built the collection. */
  async verify(collection: Collection, signal?: AbortSignal): Promise<void> {
    const key = `${collection.name}@${collection.createdAt.toISOString()}`;
    const cached = this.verified.get(key);
    if (!cached || this.now() - cached.at > this.ttlMs) {
      const problem = await this.probe(collection.encoder, signal);
      this.verified.set(key, { at: this.now(), problem });
    }
    const problem = this.verified.get(key)!.problem;
    if (problem) throw new EncoderMismatchError(collection.name, problem);
  }

  /** Every embedding used with a collection must come from its model, with its dimensions. */
  checkResponse(collection: Collection, res: Embeddings): void {
    const { model, dimensions } = collection.encoder;
    if (res.model !== model || res.dimensions !== dimensions) {
      throw new EncoderMismatchError(
        collection.name,
        `it was built with ${model} (${dimensions} dimensions) but the encoder answered with ${res.model} (${res.dimensions} dimensions)`,
      );
    }
  }

  private async probe(binding: EncoderBinding, signal?: AbortSignal): Promise<string | null> {
    let res: Embeddings;
    try {
      res = await this.embedder.embed(binding.model, 'DOCUMENT', [probeText], signal);
    } catch (err) {
      if (err instanceof UnknownReferenceError) return `it was built with ${binding.model}, which the encoder no longer serves`;
      throw err;
    }
    if (res.model !== binding.model || res.dimensions !== binding.dimensions) {
      return `it was built with ${binding.model} (${binding.dimensions} dimensions) but the encoder answers with ${res.model} (${res.dimensions} dimensions)`;
    }
    const cosine = dot(res.vectors[0]!, binding.fingerprint);
    if (cosine < minProbeCosine) {
      return `the encoder's document tower for ${binding.model} has changed since the collection was built (probe cosine ${cosine.toFixed(3)} < ${minProbeCosine})`;
    }
    return null;
  }
}
