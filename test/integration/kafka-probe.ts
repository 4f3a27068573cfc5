// A test-side Kafka consumer that collects every message of some topics from the beginning,
// the way an external consumer of the platform's events would read them.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { waitFor } from '@llmops/testkit';

export interface ReceivedMessage {
  topic: string;
  key: string | null;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

export class KafkaProbe {
  readonly messages: ReceivedMessage[] = [];
  private consumer?: Consumer;

  constructor(private readonly brokers: string[]) {}

  async start(topics: string[]): Promise<void> {
    const kafka = new Kafka({ clientId: 'it-probe', brokers: this.brokers, logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: `it-probe-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        this.messages.push({ topic, key: message.key?.toString() ?? null, value: JSON.parse(message.value!.toString()), headers: headersOf(message) });
      },
    });
  }

  waitForMessage(predicate: (m: ReceivedMessage) => boolean, what: string, timeoutMs = 30_000): Promise<ReceivedMessage> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, what });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}
