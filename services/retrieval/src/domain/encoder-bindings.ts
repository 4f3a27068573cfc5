// Collections are bound to the encoder model that embedded their documents. Binding records the
// model's name, dimensions, its document tower's embedding of a fixed probe text and both towers'
// identities (base model and prefix); before a collection's vectors are searched or added to, the
// encoder's current answer for the probe is compared with the recorded one (at most once a minute
// per collection), and every embedding used with the collection must come from the recorded tower
// of its side, so that vectors from another model are an error rather than silently meaningless
// results.
import type { Collection, EncoderBinding, TowerIdentity } from './model';
import type { Embedder, Embeddings, InputType } from './ports';
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

  /**
   * Asks the encoder which model answers for `model` (null: its default) and records its probe
   * embedding and the identities of its two towers (when the encoder reports them).
   */
  async bind(model: string | null): Promise<EncoderBinding> {
    const res = await this.embedder.embed(model, 'DOCUMENT', [probeText]);
    // The query tower of the model that answered (by name: the default could change in between).
    const query = await this.embedder.embed(res.model, 'QUERY', [probeText]);
    return {
      model: res.model,
      dimensions: res.dimensions,
      fingerprint: Array.from(res.vectors[0]!, (x) => Number(x.toFixed(6))),
      ...(query.tower && { queryTower: { baseModel: query.tower.baseModel, prefix: query.tower.prefix } }),
      ...(res.tower && { documentTower: { baseModel: res.tower.baseModel, prefix: res.tower.prefix } }),
    };
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

  /**
   * Every embedding used with a collection must come from its model, with its dimensions, and from
   * the tower of that side it was built with (where both the binding and the answer name it).
   */
  checkResponse(collection: Collection, res: Embeddings, inputType: InputType): void {
    const { model, dimensions } = collection.encoder;
    if (res.model !== model || res.dimensions !== dimensions) {
      throw new EncoderMismatchError(
        collection.name,
        `it was built with ${model} (${dimensions} dimensions) but the encoder answered with ${res.model} (${res.dimensions} dimensions)`,
      );
    }
    const problem = towerProblem(collection.encoder, inputType, res.tower);
    if (problem) throw new EncoderMismatchError(collection.name, problem);
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
    const tower = towerProblem(binding, 'DOCUMENT', res.tower);
    if (tower) return tower;
    const cosine = dot(res.vectors[0]!, binding.fingerprint);
    if (cosine < minProbeCosine) {
      return `the encoder's document tower for ${binding.model} has changed since the collection was built (probe cosine ${cosine.toFixed(3)} < ${minProbeCosine})`;
    }
    return null;
  }
}

/**
 * Why an answer of the `side` tower does not match the binding, or null. Only base model and
 * prefix count: a query adapter retrained on the same base maps into the same space. A binding
 * that recorded no tower (made before towers were recorded) or an answer that names none (an
 * older encoder) is not checked here.
 */
function towerProblem(binding: EncoderBinding, side: InputType, answered: TowerIdentity | null): string | null {
  const recorded = side === 'QUERY' ? binding.queryTower : binding.documentTower;
  if (!recorded || !answered || (recorded.baseModel === answered.baseModel && recorded.prefix === answered.prefix)) return null;
  const [texts, tower] = side === 'QUERY' ? ['queries', 'query'] : ['documents', 'document'];
  return `it was built for ${texts} embedded by ${describeTower(recorded)}, but the encoder's ${tower} tower for ${binding.model} is now ${describeTower(answered)}`;
}

const describeTower = (t: TowerIdentity) => (t.prefix ? `${t.baseModel} with the prefix ${JSON.stringify(t.prefix)}` : `${t.baseModel} without a prefix`);
