// In-memory fakes of the feedback feature's ports, for unit tests of the domain.
import type { AttributedFeedback, Feedback, GenerationFact, MetricsWindow, VersionMetrics } from '../src/domain/feedback/model';
import type { FeedbackObserver, FeedbackPublisher, FeedbackStore, GenerationLookup, SubmitOutcome } from '../src/domain/feedback/ports';

export class MemoryFeedbackStore implements FeedbackStore {
  readonly generations = new Map<string, GenerationFact>();
  readonly feedback = new Map<string, AttributedFeedback>();

  async recordGeneration(fact: GenerationFact): Promise<void> {
    if (!this.generations.has(fact.generationId)) this.generations.set(fact.generationId, fact);
  }

  async findGenerations(ids: string[]): Promise<Map<string, GenerationFact>> {
    return new Map(ids.filter((id) => this.generations.has(id)).map((id) => [id, this.generations.get(id)!]));
  }

  async findFeedback(ids: string[]): Promise<Map<string, Feedback>> {
    return new Map(ids.filter((id) => this.feedback.has(id)).map((id) => [id, this.feedback.get(id)!]));
  }

  async applyFeedback(entries: AttributedFeedback[]): Promise<AttributedFeedback[]> {
    const applied: AttributedFeedback[] = [];
    for (const e of entries) {
      if (this.feedback.has(e.id)) continue;
      this.feedback.set(e.id, e);
      applied.push(e);
    }
    return applied;
  }

  async listForGeneration(generationId: string, first: number): Promise<Feedback[]> {
    return [...this.feedback.values()].filter((f) => f.generationId === generationId).slice(0, first);
  }

  async versionMetrics(promptVersionId: string, window: MetricsWindow): Promise<VersionMetrics> {
    const inWindow = (d: Date) => d >= window.since && d < window.until;
    const gens = [...this.generations.values()].filter((g) => g.promptVersionId === promptVersionId && inWindow(g.createdAt));
    const fb = [...this.feedback.values()].filter((f) => f.promptVersionId === promptVersionId && inWindow(f.createdAt));
    const scores = fb.filter((f) => f.score !== null).map((f) => f.score!);
    const thumbs = fb.filter((f) => f.thumbs !== null);
    return {
      ...window,
      generationCount: gens.length,
      failedGenerationCount: gens.filter((g) => g.status !== 'SUCCEEDED').length,
      latencyP50Ms: null,
      latencyP95Ms: null,
      timeToFirstTokenP50Ms: null,
      promptTokens: gens.reduce((s, g) => s + (g.promptTokens ?? 0), 0),
      completionTokens: gens.reduce((s, g) => s + (g.completionTokens ?? 0), 0),
      feedbackCount: fb.length,
      scoreCount: scores.length,
      averageScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
      thumbsCount: thumbs.length,
      thumbsUpRate: thumbs.length ? thumbs.filter((t) => t.thumbs === 'UP').length / thumbs.length : null,
    };
  }
}

/** Records what was published; `fail` makes the next publish throw (the broker is down). */
export class RecordingPublisher implements FeedbackPublisher {
  readonly published: AttributedFeedback[] = [];
  fail = false;

  async publish(entries: AttributedFeedback[]): Promise<void> {
    if (this.fail) throw new Error('broker down');
    this.published.push(...entries);
  }
}

export class MapLookup implements GenerationLookup {
  readonly facts = new Map<string, GenerationFact>();
  calls = 0;
  readonly asked: string[] = [];
  /** Set: every call rejects with it (e.g. an UnavailableError naming the generation service). */
  failWith: Error | null = null;
  inFlight = 0;
  maxInFlight = 0;

  async find(generationId: string): Promise<GenerationFact | null> {
    this.calls++;
    this.asked.push(generationId);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setImmediate(r));
      if (this.failWith) throw this.failWith;
      return this.facts.get(generationId) ?? null;
    } finally {
      this.inFlight--;
    }
  }
}

export class CountingObserver implements FeedbackObserver {
  readonly submittedCounts: Record<string, number> = {};
  readonly appliedEntries: AttributedFeedback[] = [];

  submitted(kind: 'score' | 'thumbs', outcome: SubmitOutcome, count: number): void {
    const key = `${kind}/${outcome}`;
    this.submittedCounts[key] = (this.submittedCounts[key] ?? 0) + count;
  }

  applied(entries: AttributedFeedback[]): void {
    this.appliedEntries.push(...entries);
  }
}

export function generationFact(over: Partial<GenerationFact> = {}): GenerationFact {
  return {
    generationId: '00000000-0000-4000-8000-000000000001',
    status: 'SUCCEEDED',
    promptVersionId: '00000000-0000-4000-8000-0000000000aa',
    promptName: 'greeting',
    model: 'tiny',
    latencyMs: 120,
    timeToFirstTokenMs: 30,
    promptTokens: 10,
    completionTokens: 5,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    ...over,
  };
}
