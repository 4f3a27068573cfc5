// Queues documents on documents.ingest.v1 (one message per document, keyed by its id so that
// versions of one document stay in order), in produce requests of at most ~512 KiB. Each event's
// envelope carries the job's project, which the consumer indexes it under.
import { UnavailableError, encodeEvent, type EventProducer, type OutgoingEvent } from '@llmops/platform';
import type { IngestItem } from '../domain/model';
import type { IngestQueue } from '../domain/ports';

const maxRequestBytes = 512 * 1024;

export class KafkaIngestQueue implements IngestQueue {
  constructor(private readonly producer: EventProducer) {}

  async publish(items: IngestItem[]): Promise<void> {
    const events = items.map((i) =>
      encodeEvent('documents.ingest.v1', {
        projectId: i.projectId,
        jobId: i.jobId,
        collection: i.collection,
        documentId: i.id,
        title: i.title,
        text: i.text,
        metadata: i.metadata,
      }),
    );
    let chunk: OutgoingEvent[] = [];
    let bytes = 0;
    try {
      for (const e of events) {
        if (chunk.length && bytes + e.value.length > maxRequestBytes) {
          await this.producer.send(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(e);
        bytes += e.value.length;
      }
      if (chunk.length) await this.producer.send(chunk);
    } catch (err) {
      throw new UnavailableError('kafka', { cause: err });
    }
  }
}
