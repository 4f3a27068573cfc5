import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger';
import { fixKafkaJsIdleLoop } from './idle-loop-fix';

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
      const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      log[level]({ ...extra, namespace: entry.namespace }, message);
    },
  });
}
