// Accepts feedback on recorded generations and applies it exactly once. Submission validates the
// input and that the generation exists, then publishes to feedback.submitted.v1; the consumer
// calls apply(), which writes each feedback id once together with the aggregates.
import { InputError, NotFoundError, UnavailableError } from '@llmops/platform';
import type { AttributedFeedback, Feedback, FeedbackInput, FeedbackLimits, GenerationFact, MetricsWindow, VersionMetrics } from './model';
import type { FeedbackObserver, FeedbackPublisher, FeedbackStore, GenerationLookup } from './ports';
import { checkScoreInRange, validateFeedbackInput } from './validation';

export interface FeedbackServiceDeps {
  store: FeedbackStore;
  publisher: FeedbackPublisher;
  /** Asked when a generation's event has not arrived yet; null: such feedback is NOT_FOUND. */
  lookup: GenerationLookup | null;
  limits: FeedbackLimits;
  observer: FeedbackObserver;
  newId: () => string;
  now: () => Date;
}

const defaultWindowMs = 24 * 3600_000;
const maxWindowMs = 366 * 24 * 3600_000;
const maxFeedbackPage = 500;
/** Generations asked of the lookup at once for one submission. */
const lookupConcurrency = 4;

/**
 * The generation is not recorded: neither the service's copy of generation.completed.v1 nor the
 * lookup (when there is one) knows it. Without a lookup it may only be that its event has not
 * arrived yet.
 */
export class UnknownGenerationError extends NotFoundError {
  constructor(generationId: string, field: string, maybeLate: boolean) {
    super('Generation', generationId);
    this.message = maybeLate ? `generation ${generationId} is not recorded (if it just finished, retry in a moment)` : `generation ${generationId} is not recorded`;
    Object.assign(this.details, { field });
  }
}

export class FeedbackService {
  constructor(private readonly deps: FeedbackServiceDeps) {}

  submit(input: FeedbackInput): Promise<Feedback> {
    return this.submitMany([input], () => 'input').then((r) => r[0]!);
  }

  async submitBatch(inputs: FeedbackInput[]): Promise<Feedback[]> {
    if (inputs.length > this.deps.limits.batchMax) {
      throw new InputError(`at most ${this.deps.limits.batchMax} inputs per call`, 'inputs', { max: this.deps.limits.batchMax });
    }
    return this.submitMany(inputs, (i) => `inputs.${i}`);
  }

  private async submitMany(inputs: FeedbackInput[], fieldOf: (i: number) => string): Promise<Feedback[]> {
    const { limits, observer } = this.deps;
    const valid = inputs.map((input, i) => {
      try {
        return validateFeedbackInput(input, limits, fieldOf(i));
      } catch (err) {
        observer.submitted(input.thumbs != null ? 'thumbs' : 'score', 'rejected', 1);
        throw err;
      }
    });
    const createdAt = this.deps.now();
    const byId = new Map<string, { entry: Feedback; index: number }>();
    const results: Array<{ id: string }> = [];
    valid.forEach((v, index) => {
      const id = v.id ?? this.deps.newId();
      if (!byId.has(id)) byId.set(id, { entry: { ...v, id, createdAt }, index });
      results.push({ id });
    });

    const stored = await this.deps.store.findFeedback([...byId.keys()]);
    const fresh = [...byId.values()].filter(({ entry }) => !stored.has(entry.id));
    const generations = await this.findGenerations(fresh.map(({ entry, index }) => ({ generationId: entry.generationId, field: `${fieldOf(index)}.generationId` })));
    const events: AttributedFeedback[] = fresh.map(({ entry }) => {
      const g = generations.get(entry.generationId)!;
      return { ...entry, promptVersionId: g.promptVersionId, promptName: g.promptName };
    });
    if (events.length) {
      try {
        await this.deps.publisher.publish(events);
      } catch (err) {
        // Part of the batch may have been written (one request per partition leader, or a request
        // written whose answer was lost): the ids the service assigned go back with the error, so
        // that a retry with them records each feedback once.
        const unavailable = err instanceof UnavailableError ? err : new UnavailableError('kafka', { cause: err });
        Object.assign(unavailable.details, { ids: results.map((r) => r.id) });
        throw unavailable;
      }
    }
    this.count(events, 'accepted');
    this.count([...stored.values()], 'duplicate');
    return results.map(({ id }) => stored.get(id) ?? byId.get(id)!.entry);
  }

  /**
   * The facts of every generation wanted. Those the service has no copy of yet (their
   * generation.completed.v1 event has not arrived) are asked of the lookup, a few at a time; the
   * answers attribute this submission only and are not recorded as facts (the event does that).
   * NOT_FOUND names the first input whose generation does not exist.
   */
  private async findGenerations(wanted: Array<{ generationId: string; field: string }>): Promise<Map<string, GenerationFact>> {
    const found = await this.deps.store.findGenerations([...new Set(wanted.map((w) => w.generationId))]);
    const missing = [...new Set(wanted.map((w) => w.generationId).filter((id) => !found.has(id)))];
    const { lookup } = this.deps;
    if (lookup && missing.length) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(lookupConcurrency, missing.length) }, async () => {
          while (next < missing.length) {
            const id = missing[next++]!;
            const fact = await lookup.find(id);
            if (fact) found.set(id, fact);
          }
        }),
      );
    }
    const unknown = wanted.find((w) => !found.has(w.generationId));
    if (unknown) throw new UnknownGenerationError(unknown.generationId, unknown.field, lookup === null);
    return found;
  }

  private count(entries: Feedback[], outcome: 'accepted' | 'duplicate'): void {
    const scores = entries.filter((e) => e.score !== null).length;
    if (scores) this.deps.observer.submitted('score', outcome, scores);
    if (entries.length - scores) this.deps.observer.submitted('thumbs', outcome, entries.length - scores);
  }

  /** Applies submitted feedback (from the topic): each id once, aggregates included. */
  async apply(entries: AttributedFeedback[]): Promise<void> {
    entries.forEach((e, i) => checkScoreInRange(e.score, this.deps.limits, `events.${i}.score`));
    const applied = await this.deps.store.applyFeedback(entries);
    this.deps.observer.applied(applied);
  }

  recordGeneration(fact: GenerationFact): Promise<void> {
    return this.deps.store.recordGeneration(fact);
  }

  async forGeneration(generationId: string, first: number): Promise<Feedback[]> {
    if (!Number.isInteger(first) || first < 1 || first > maxFeedbackPage) throw new InputError(`first must be between 1 and ${maxFeedbackPage}`, 'first');
    return this.deps.store.listForGeneration(generationId, first);
  }

  /** Figures of a prompt version over [since, until): by default the last 24 hours. */
  async metrics(promptVersionId: string, window: { since?: Date | null; until?: Date | null }): Promise<VersionMetrics> {
    const until = window.until ?? this.deps.now();
    const since = window.since ?? new Date(until.getTime() - defaultWindowMs);
    if (since.getTime() >= until.getTime()) throw new InputError('since must be before until', 'since');
    if (until.getTime() - since.getTime() > maxWindowMs) throw new InputError('the window may span at most 366 days', 'since');
    const range: MetricsWindow = { since, until };
    return this.deps.store.versionMetrics(promptVersionId, range);
  }
}
