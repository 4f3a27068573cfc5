// Embeds texts with a named model's query or document tower: prefix, shared batched model run,
// optional adapter, L2 normalisation.
import { InputError } from '@llmops/platform';
import type { LinearQueryAdapter } from './adapter-model';
import type { EmbeddingModel, InputType, Tower } from './embedding-model';
import { UnknownReferenceError } from './errors';
import type { Priority } from './micro-batcher';
import { l2NormalizeInPlace } from './vectors';
import { validateTexts, type RequestLimits } from './validation';

export interface EmbedRequest {
  /** Null or empty: the default model. */
  model: string | null;
  inputType: InputType;
  texts: string[];
  /** 'batch' for offline work (ingestion), which interactive requests overtake; default 'interactive'. */
  priority?: Priority;
}

export interface EmbedResult {
  model: string;
  inputType: InputType;
  dimensions: number;
  /** Unit L2 norm, in request order. */
  vectors: Float32Array[];
  tokenCounts: number[];
  truncated: boolean[];
  /** The tower that embedded the texts, as far as the comparability of its vectors goes. */
  tower: TowerIdentity;
}

/**
 * Base model and prefix of a tower: what a client binds stored vectors to. A query adapter is not
 * part of it: a retrained adapter maps into the same document space.
 */
export interface TowerIdentity {
  baseModel: string;
  prefix: string;
}

export interface EmbeddingObserver {
  request(model: string, inputType: InputType, seconds: number, result: EmbedResult): void;
}

export class EmbeddingService {
  private readonly byName: Map<string, EmbeddingModel>;

  /** `models[0]` is the default. */
  constructor(
    readonly models: EmbeddingModel[],
    readonly limits: RequestLimits,
    private readonly observer: EmbeddingObserver = { request: () => {} },
  ) {
    if (models.length === 0) throw new Error('at least one embedding model is required');
    this.byName = new Map(models.map((m) => [m.name, m]));
  }

  get defaultModel(): EmbeddingModel {
    return this.models[0]!;
  }

  model(name: string | null, field = 'model'): EmbeddingModel {
    if (!name) return this.defaultModel;
    const model = this.byName.get(name);
    if (!model) throw new UnknownReferenceError('EmbeddingModel', name, field, [...this.byName.keys()]);
    return model;
  }

  findModel(name: string): EmbeddingModel | null {
    return this.byName.get(name) ?? null;
  }

  async embed(request: EmbedRequest, signal?: AbortSignal): Promise<EmbedResult> {
    const started = performance.now();
    const model = this.model(request.model);
    if (request.inputType !== 'QUERY' && request.inputType !== 'DOCUMENT') {
      throw new InputError('inputType: must be QUERY or DOCUMENT', 'inputType');
    }
    validateTexts(request.texts, this.limits);
    const tower = request.inputType === 'QUERY' ? model.query : model.document;
    const out = await embedWithTower(tower, request.texts, signal, request.priority);
    const result: EmbedResult = {
      model: model.name,
      inputType: request.inputType,
      dimensions: model.dimensions,
      ...out,
      tower: { baseModel: tower.base.name, prefix: tower.prefix },
    };
    this.observer.request(model.name, request.inputType, (performance.now() - started) / 1000, result);
    return result;
  }

  /**
   * Serves a newly trained adapter version from every tower that follows the newest version of
   * its name; returns the names of the embedding models that now use it.
   */
  installAdapter(adapter: LinearQueryAdapter): string[] {
    const updated: string[] = [];
    for (const model of this.models) {
      for (const tower of [model.query, model.document]) {
        const ref = tower.adapterRef;
        if (ref && ref.name === adapter.manifest.name && ref.version === null && tower.base.name === adapter.manifest.baseModel) {
          tower.adapter = adapter;
          if (!updated.includes(model.name)) updated.push(model.name);
        }
      }
    }
    return updated;
  }
}

/** Prefix, batched model run, adapter, normalisation. */
export async function embedWithTower(
  tower: Pick<Tower, 'runner' | 'prefix' | 'adapter'>,
  texts: string[],
  signal?: AbortSignal,
  priority: Priority = 'interactive',
): Promise<Omit<EmbedResult, 'model' | 'inputType' | 'dimensions' | 'tower'>> {
  const out = await tower.runner.embed(
    texts.map((t) => tower.prefix + t),
    signal,
    priority,
  );
  const adapter = tower.adapter;
  const vectors = out.vectors.map((v) => l2NormalizeInPlace(adapter ? adapter.apply(l2NormalizeInPlace(v)) : v));
  return { vectors, tokenCounts: out.tokenCounts, truncated: out.truncated };
}
