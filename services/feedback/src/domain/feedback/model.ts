// User feedback on recorded generations, and the per-prompt-version figures built from it.
export type Thumbs = 'UP' | 'DOWN';

export interface FeedbackInput {
  /** The idempotency key; a new one is assigned when absent. */
  id?: string | null;
  generationId: string;
  score?: number | null;
  thumbs?: Thumbs | null;
  comment?: string | null;
  labels?: string[] | null;
  user?: string | null;
}

export interface Feedback {
  id: string;
  generationId: string;
  /** Exactly one of score and thumbs is set. */
  score: number | null;
  thumbs: Thumbs | null;
  comment: string | null;
  labels: string[];
  user: string | null;
  createdAt: Date;
}

/** A feedback with what it is attributed to: the generation's prompt version. */
export interface AttributedFeedback extends Feedback {
  promptVersionId: string | null;
  promptName: string | null;
}

/** What the service knows of a recorded generation (from generation.completed.v1). */
export interface GenerationFact {
  generationId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  promptVersionId: string | null;
  promptName: string | null;
  model: string | null;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  createdAt: Date;
}

export interface MetricsWindow {
  since: Date;
  until: Date;
}

export interface VersionMetrics extends MetricsWindow {
  generationCount: number;
  failedGenerationCount: number;
  /** Over succeeded generations; null when there is none. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  timeToFirstTokenP50Ms: number | null;
  promptTokens: number;
  completionTokens: number;
  feedbackCount: number;
  scoreCount: number;
  averageScore: number | null;
  thumbsCount: number;
  /** Thumbs up over all thumbs; null when there is none. */
  thumbsUpRate: number | null;
}

export interface FeedbackLimits {
  scoreMin: number;
  scoreMax: number;
  commentMaxChars: number;
  maxLabels: number;
  labelMaxChars: number;
  userMaxChars: number;
  batchMax: number;
}
