import { Kafka, logLevel, type ConsumerConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger';
import { fixKafkaJsIdleLoop } from './idle-loop-fix';

/**
 * kafkajs warnings the platform answers, logged at debug: a few retries per send are safe for the
 * idempotent producer because IdempotentProducer starts over with a new producer id after a send
 * fails (see idempotent-producer.ts), so it does not lose or reorder records that kafkajs warns of.
 */
const answeredWarnings = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

export function createKafka(opts: { clientId: string; brokers: string[]; logger: Logger }): Kafka {
  const log = opts.logger.child({ component: 'kafka' });
  if (!fixKafkaJsIdleLoop()) log.warn('kafkajs is not 2.2.4: its idle timer loop fix (src/kafka/idle-loop-fix.ts) is not applied');
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: 3_000,
    // Few client-level retries: callers retry with their own backoff (outbox relay, startup dependency).
    retry: { initialRetryTime: 300, retries: 3 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN && !answeredWarnings.has(message) ? 'warn' : 'debug';
      log[level]({ ...extra, namespace: entry.namespace }, message);
    },
  });
}

/**
 * The settings every consumer of the platform's starts from. rebalanceTimeout is how long a group's
 * coordinator waits for its members to rejoin when it rebalances (kafkajs's default: 60 s). A
 * kafkajs consumer that crashed on a broker outage comes back as a new member, and its group then
 * waits that long for the old one: with the default, a minute without consuming after every broker
 * restart. A live member rejoins at its next heartbeat (the platform's consumers heartbeat every
 * few seconds, between messages, chunks and while waiting for a dependency), so 20 s is ample.
 */
export function consumerConfig(groupId: string, overrides: Omit<ConsumerConfig, 'groupId'> = {}): ConsumerConfig {
  return { groupId, allowAutoTopicCreation: false, rebalanceTimeout: 20_000, ...overrides };
}

/**
 * consumerConfig for consumers that work in chunks of messages (EventBatchConsumer, retrieval's
 * ingestion): a chunk may wait long for a dependency, so the session outlives a minute without a
 * heartbeat, and they heartbeat every 3 s between chunks and while they wait.
 */
export function chunkConsumerConfig(groupId: string): ConsumerConfig {
  return consumerConfig(groupId, { sessionTimeout: 60_000, heartbeatInterval: 3_000 });
}
