// Checks one feedback input against the configured limits; errors name the input field at fault
// (`field` is the dot path of the input, e.g. `input` or `inputs.3`).
import { InputError } from '@llmops/platform';
import type { FeedbackInput, FeedbackLimits, Thumbs } from './model';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ValidFeedbackInput {
  id: string | null;
  generationId: string;
  score: number | null;
  thumbs: Thumbs | null;
  comment: string | null;
  labels: string[];
  user: string | null;
}

export function validateFeedbackInput(input: FeedbackInput, limits: FeedbackLimits, field: string): ValidFeedbackInput {
  const at = (name: string) => `${field}.${name}`;
  if (input.id != null && !uuid.test(input.id)) throw new InputError('id must be a UUID', at('id'));
  if (!uuid.test(input.generationId)) throw new InputError('generationId must be a UUID', at('generationId'));
  const score = input.score ?? null;
  const thumbs = input.thumbs ?? null;
  if ((score === null) === (thumbs === null)) throw new InputError('give exactly one of score and thumbs', at('score'));
  if (score !== null && (!Number.isFinite(score) || score < limits.scoreMin || score > limits.scoreMax)) {
    throw new InputError(`score must be between ${limits.scoreMin} and ${limits.scoreMax}`, at('score'), { min: limits.scoreMin, max: limits.scoreMax });
  }
  if (thumbs !== null && thumbs !== 'UP' && thumbs !== 'DOWN') throw new InputError('thumbs must be UP or DOWN', at('thumbs'));
  const comment = input.comment ?? null;
  if (comment !== null && comment.length > limits.commentMaxChars) {
    throw new InputError(`comment must be at most ${limits.commentMaxChars} characters`, at('comment'), { maxChars: limits.commentMaxChars });
  }
  const labels = [...new Set((input.labels ?? []).map((l) => l.trim()))];
  if (labels.length > limits.maxLabels) throw new InputError(`at most ${limits.maxLabels} labels`, at('labels'));
  const badLabel = labels.findIndex((l) => l.length === 0 || l.length > limits.labelMaxChars);
  if (badLabel >= 0) throw new InputError(`a label must have 1 to ${limits.labelMaxChars} characters`, `${at('labels')}.${badLabel}`);
  const user = input.user ?? null;
  if (user !== null && (user.length === 0 || user.length > limits.userMaxChars)) {
    throw new InputError(`user must have 1 to ${limits.userMaxChars} characters`, at('user'));
  }
  return { id: input.id?.toLowerCase() ?? null, generationId: input.generationId.toLowerCase(), score, thumbs, comment, labels, user };
}

/** Checks a submitted event against the configured scale (events may come from other producers). */
export function checkScoreInRange(score: number | null, limits: Pick<FeedbackLimits, 'scoreMin' | 'scoreMax'>, field: string): void {
  if (score !== null && (score < limits.scoreMin || score > limits.scoreMax)) {
    throw new InputError(`score must be between ${limits.scoreMin} and ${limits.scoreMax}`, field);
  }
}
