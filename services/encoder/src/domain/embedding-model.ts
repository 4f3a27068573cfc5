// Named embedding models: a query tower and a document tower. A single-tower model encodes both
// sides with one base model (with that model's own prefixes); a double-tower model may use another
// base model, prefix or a trained query adapter on either side.
import { catalogModel, type EmbeddingModelSpec } from './catalog';
import { parseAdapterRef, type LinearQueryAdapter } from './adapter-model';
import type { ModelRunner } from './model-runner';

export type InputType = 'QUERY' | 'DOCUMENT';
export type TowerKind = 'SINGLE' | 'DOUBLE';

export interface TowerConfig {
  /** Catalog name of the base model. */
  model: string;
  /** Defaults to the base model's prefix for that side. */
  prefix?: string;
  /** "name" (newest version; replaced when a newer one is trained) or "name@version". */
  adapter?: string;
}

export interface EmbeddingModelConfig {
  name: string;
  kind: TowerKind;
  query: Required<Pick<TowerConfig, 'model' | 'prefix'>> & { adapter: { name: string; version: number | null } | null };
  document: Required<Pick<TowerConfig, 'model' | 'prefix'>> & { adapter: { name: string; version: number | null } | null };
}

export interface Tower {
  base: EmbeddingModelSpec;
  runner: ModelRunner;
  prefix: string;
  adapterRef: { name: string; version: number | null } | null;
  adapter: LinearQueryAdapter | null;
}

export interface EmbeddingModel {
  name: string;
  kind: TowerKind;
  dimensions: number;
  query: Tower;
  document: Tower;
}

/**
 * Checks the configured models (catalog names for single towers, then double towers) and
 * returns them in order, the default first. Errors name the setting at fault.
 */
export function planEmbeddingModels(
  singles: string[],
  doubles: Array<{ name: string; query: TowerConfig; document: TowerConfig }>,
  defaultName: string | undefined,
): EmbeddingModelConfig[] {
  const planned: EmbeddingModelConfig[] = singles.map((name) => {
    const spec = catalogModel(name, 'ENCODER_MODELS');
    return {
      name,
      kind: 'SINGLE',
      query: { model: name, prefix: spec.queryPrefix, adapter: null },
      document: { model: name, prefix: spec.documentPrefix, adapter: null },
    };
  });
  for (const d of doubles) {
    const tower = (side: 'query' | 'document', t: TowerConfig) => {
      const setting = `ENCODER_DOUBLE_TOWERS[${d.name}].${side}`;
      const spec = catalogModel(t.model, `${setting}.model`);
      const adapter = t.adapter === undefined ? null : parseAdapterRef(t.adapter);
      if (t.adapter !== undefined && !adapter) throw new Error(`${setting}.adapter: "${t.adapter}" is not "name" or "name@version"`);
      return { model: t.model, prefix: t.prefix ?? (side === 'query' ? spec.queryPrefix : spec.documentPrefix), adapter };
    };
    const query = tower('query', d.query);
    const document = tower('document', d.document);
    const dq = catalogModel(query.model, 'query').dimensions;
    const dd = catalogModel(document.model, 'document').dimensions;
    if (dq !== dd) throw new Error(`ENCODER_DOUBLE_TOWERS[${d.name}]: query tower has ${dq} dimensions, document tower ${dd}`);
    planned.push({ name: d.name, kind: 'DOUBLE', query, document });
  }
  const names = planned.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`ENCODER_MODELS/ENCODER_DOUBLE_TOWERS: model name "${duplicate}" is configured twice`);
  if (planned.length === 0) throw new Error('ENCODER_MODELS: no embedding model configured');
  if (defaultName !== undefined) {
    const i = names.indexOf(defaultName);
    if (i < 0) throw new Error(`ENCODER_DEFAULT_MODEL: "${defaultName}" is not a configured model (configured: ${names.join(', ')})`);
    planned.unshift(...planned.splice(i, 1));
  }
  return planned;
}

/** Catalog names of the base models the plan needs loaded. */
export const baseModelsOf = (plan: EmbeddingModelConfig[]): string[] => [
  ...new Set(plan.flatMap((p) => [p.query.model, p.document.model])),
];
