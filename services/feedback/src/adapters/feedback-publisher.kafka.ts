// Publishes a project's accepted feedback to feedback.submitted.v1 (the events carry the project),
// all of one call in one produce request.
import { encodeEvent, injectTraceHeaders, type EventProducer } from '@llmops/platform';
import type { AttributedFeedback } from '../domain/feedback/model';
import type { FeedbackPublisher } from '../domain/feedback/ports';

export class KafkaFeedbackPublisher implements FeedbackPublisher {
  constructor(
    private readonly producer: EventProducer,
    private readonly projectId: string,
  ) {}

  async publish(entries: AttributedFeedback[]): Promise<void> {
    // One submission, one trace context: its headers are computed once for all its events.
    const headers = injectTraceHeaders();
    await this.producer.send(
      entries.map((e) =>
        encodeEvent('feedback.submitted.v1', {
          projectId: this.projectId,
          feedbackId: e.id,
          generationId: e.generationId,
          promptVersionId: e.promptVersionId,
          promptName: e.promptName,
          score: e.score,
          thumbs: e.thumbs,
          comment: e.comment,
          labels: e.labels,
          user: e.user,
          occurredAt: e.createdAt.toISOString(),
        }, headers),
      ),
    );
  }
}
