// GraphQL resolvers of feedback: the mutations, Generation.feedback and PromptVersion.metrics
// (entity extensions of the generation and prompt-registry subgraphs' types).
import type { FeedbackService } from '../domain/feedback/feedback-service';
import type { FeedbackInput } from '../domain/feedback/model';

export interface FeedbackContext {
  feedback: FeedbackService;
}

export const feedbackResolvers = {
  Mutation: {
    submitFeedback: (_: unknown, { input }: { input: FeedbackInput }, ctx: FeedbackContext) => ctx.feedback.submit(input),
    submitFeedbackBatch: (_: unknown, { inputs }: { inputs: FeedbackInput[] }, ctx: FeedbackContext) => ctx.feedback.submitBatch(inputs),
  },
  Generation: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    feedback: (g: { id: string }, { first }: { first: number }, ctx: FeedbackContext) => ctx.feedback.forGeneration(g.id, first),
  },
  PromptVersion: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    metrics: (v: { id: string }, args: { since?: Date | null; until?: Date | null }, ctx: FeedbackContext) => ctx.feedback.metrics(v.id, args),
  },
};
