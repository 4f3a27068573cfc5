import type { AttributedFeedback, Feedback, GenerationFact, MetricsWindow, VersionMetrics } from './model';

export interface FeedbackStore {
  /** Records a generation's facts once; a second record of the same id changes nothing. */
  recordGeneration(fact: GenerationFact): Promise<void>;
  findGenerations(ids: string[]): Promise<Map<string, GenerationFact>>;
  findFeedback(ids: string[]): Promise<Map<string, Feedback>>;
  /**
   * Writes the feedback whose id is new, and adds exactly those to the aggregates, atomically;
   * returns the ones written (the others were applied before).
   */
  applyFeedback(entries: AttributedFeedback[]): Promise<AttributedFeedback[]>;
  listForGeneration(generationId: string, first: number): Promise<Feedback[]>;
  versionMetrics(promptVersionId: string, window: MetricsWindow): Promise<VersionMetrics>;
}

/** Publishes accepted feedback to feedback.submitted.v1 (acknowledged by every in-sync replica). */
export interface FeedbackPublisher {
  publish(entries: AttributedFeedback[]): Promise<void>;
}

/**
 * Asks the generation service about a generation whose generation.completed.v1 event has not
 * arrived yet; null when it does not exist. Rejects with an UnavailableError naming the
 * generation service when that cannot answer (nothing is accepted then: the caller retries).
 */
export interface GenerationLookup {
  find(generationId: string): Promise<GenerationFact | null>;
}

export type SubmitOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface FeedbackObserver {
  submitted(kind: 'score' | 'thumbs', outcome: SubmitOutcome, count: number): void;
  applied(entries: AttributedFeedback[]): void;
}
