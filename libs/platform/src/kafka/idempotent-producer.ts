// The one way this platform produces to Kafka: a KafkaJS idempotent producer (one request in
// flight) that starts over with a new producer id after a send fails.
//
// Why start over: a produce request can fail after the broker wrote it (the broker died, or the
// connection closed, before its response arrived). KafkaJS then hands the request's sequence
// numbers back, and the next request, carrying other records, reuses them. The broker takes that
// request, if it holds as many records as the written one, for a retry of it and acknowledges it
// without writing it: acknowledged records are lost. With another count it refuses it, and every
// later one, as OUT_OF_ORDER_SEQUENCE_NUMBER until a request happens to match. The Java client
// resets its producer id in this case; so does this. KafkaJS's own retries inside one send resend
// the same records, so the broker's deduplication still covers them.
import { Partitioners, type Kafka, type Producer, type ProducerBatch, type RecordMetadata } from 'kafkajs';

interface Session {
  producer: Producer;
  connecting: Promise<void> | null;
}

export class IdempotentProducer {
  private session: Session;
  private closed = false;

  constructor(private readonly kafka: Kafka) {
    this.session = this.newSession();
  }

  /** Connects now (and fetches a producer id), e.g. to report Kafka as up at startup. */
  async connect(): Promise<void> {
    await this.ready();
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const session = await this.ready();
    try {
      return await session.producer.sendBatch(batch);
    } catch (err) {
      this.retire(session);
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.session.producer.disconnect();
  }

  private async ready(): Promise<Session> {
    if (this.closed) throw new Error('the Kafka producer is disconnected');
    const session = this.session;
    session.connecting ??= session.producer.connect();
    try {
      await session.connecting;
    } catch (err) {
      this.retire(session);
      throw err;
    }
    return session;
  }

  /** The next send goes through a new producer (a new producer id, sequences from zero). */
  private retire(session: Session): void {
    if (this.session !== session || this.closed) return;
    this.session = this.newSession();
    session.producer.disconnect().catch(() => undefined);
  }

  private newSession(): Session {
    // The default partitioner, named (kafkajs warns when it is left implicit): murmur2 of the key,
    // as the Java client partitions, so a key's events share a partition whoever produces them.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    return { producer, connecting: null };
  }
}
