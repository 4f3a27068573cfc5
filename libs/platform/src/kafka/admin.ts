import type { Kafka } from 'kafkajs';
import { deadLetterTopicOf } from '@llmops/contracts';

/** Creates each topic and its dead-letter topic when missing. */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set(topics.flatMap((t) => [t, deadLetterTopicOf(t)]))].filter((t) => !existing.has(t));
    if (wanted.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
