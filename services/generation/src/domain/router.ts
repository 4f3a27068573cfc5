// Routes model names to the backends that serve them, and names the fallback that takes over when
// a backend cannot answer.
import type { BackendKind, ModelBackend, ModelInfo } from './ports';
import { UnknownModelError } from './errors';

export interface Route {
  backend: ModelBackend;
  model: ModelInfo;
}

export interface RoutedModel extends ModelInfo {
  backend: string;
  kind: BackendKind;
  isDefault: boolean;
}

export interface RouterOptions {
  /** The model used when neither the caller nor the prompt version names one. */
  defaultModel: string;
  /** The backend that answers (with its first model) when the routed backend is unavailable. */
  fallbackBackend: string | null;
}

export class ModelRouter {
  private readonly routes = new Map<string, Route>();
  private readonly fallback: Route | null;

  constructor(readonly backends: readonly ModelBackend[], private readonly opts: RouterOptions) {
    for (const backend of backends) {
      for (const model of backend.models) {
        if (this.routes.has(model.name)) throw new Error(`model ${model.name} is served by two backends`);
        this.routes.set(model.name, { backend, model });
      }
    }
    if (!this.routes.has(opts.defaultModel)) throw new Error(`default model ${opts.defaultModel} is not served by any backend`);
    const fallbackBackend = opts.fallbackBackend === null ? null : backends.find((b) => b.name === opts.fallbackBackend);
    if (fallbackBackend === undefined) throw new Error(`fallback backend ${opts.fallbackBackend} is not configured`);
    const fallbackModel = fallbackBackend?.models[0];
    this.fallback = fallbackBackend && fallbackModel ? { backend: fallbackBackend, model: fallbackModel } : null;
  }

  get defaultModel(): string {
    return this.opts.defaultModel;
  }

  models(): RoutedModel[] {
    return [...this.routes.values()].map(({ backend, model }) => ({
      ...model,
      backend: backend.name,
      kind: backend.kind,
      isDefault: model.name === this.opts.defaultModel,
    }));
  }

  /** The route for `model` (the default model when null); UnknownModelError when none. */
  route(model: string | null): Route {
    const route = this.routes.get(model ?? this.opts.defaultModel);
    if (!route) throw new UnknownModelError(model ?? '', [...this.routes.keys()]);
    return route;
  }

  /** Where a call goes when `failed` cannot answer; null when there is no other backend to try. */
  fallbackFor(failed: Route): Route | null {
    return this.fallback && this.fallback.backend !== failed.backend ? this.fallback : null;
  }
}
