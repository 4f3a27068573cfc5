// The generation domain for one project: stores bounded to the project and its token budget,
// over the backends, peers and pool every project shares. Built for each request (no I/O), so
// no code path can reach another project's generations, pipelines or sessions.
import { randomUUID } from 'node:crypto';
import type { Pool } from '@llmops/platform';
import { PgGenerationStore } from './adapters/generation-store.pg';
import { PgPipelineStore } from './adapters/pipeline-store.pg';
import { PgSessionStore } from './adapters/session-store.pg';
import { PgTokenUsageStore } from './adapters/token-budget.pg';
import { activeTraceId } from './adapters/traced-backend';
import { GenerationService, type GenerationLimits, type GenerationObserver } from './domain/generation-service';
import type { SessionSettings } from './domain/memory';
import { PipelineService, type Embedder } from './domain/pipeline-service';
import type { PromptRegistry, Retriever } from './domain/ports';
import type { ModelRouter } from './domain/router';
import { SessionService, type SessionLimits } from './domain/session-service';
import { TokenBudget } from './domain/token-budget';

export interface SharedDeps {
  pool: Pool;
  /** Wakes the outbox relay once a generation's event is committed. */
  onEventsCommitted: () => void;
  router: ModelRouter;
  registry: PromptRegistry;
  retriever: Retriever | null;
  embedder: Embedder | null;
  /** Session messages' tokens, counted once when appended. */
  countTokens: (text: string) => number;
  sessionDefaults: SessionSettings;
  sessionLimits: SessionLimits;
  generationLimits: GenerationLimits;
  pipelineTimeoutMs: number;
  /** The service default for projects without a budget of their own; 0: none. */
  defaultTokensPerDay: number;
  observer?: GenerationObserver;
}

export interface ProjectServices {
  generations: GenerationService;
  pipelines: PipelineService;
  sessions: SessionService;
  budget: TokenBudget;
}

export type ServicesFor = (projectId: string) => ProjectServices;

export function projectServices(shared: SharedDeps): ServicesFor {
  return (projectId) => {
    const { pool, router, registry, retriever } = shared;
    const sessions = new SessionService(new PgSessionStore(pool, projectId), shared.countTokens, shared.sessionDefaults, shared.sessionLimits, randomUUID);
    const budget = new TokenBudget(new PgTokenUsageStore(pool, projectId), shared.defaultTokensPerDay, projectId);
    const generations = new GenerationService({
      router,
      registry,
      retriever,
      store: new PgGenerationStore(pool, projectId, shared.onEventsCommitted),
      memory: sessions,
      budget,
      limits: shared.generationLimits,
      traceId: activeTraceId,
      newId: randomUUID,
      observer: shared.observer,
    });
    const pipelines = new PipelineService({
      store: new PgPipelineStore(pool, projectId),
      generations,
      registry,
      router,
      retriever,
      embedder: shared.embedder,
      timeoutMs: shared.pipelineTimeoutMs,
      newId: randomUUID,
      traceId: activeTraceId,
    });
    return { generations, pipelines, sessions, budget };
  };
}
