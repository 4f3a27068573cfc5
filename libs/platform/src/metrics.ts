// One prom-client registry per process: default process metrics plus RED metrics for every
// transport. Labels are bounded: routes, operation types, gRPC methods and topics, never user input.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  // Gauges that prom-client names like counters: `promtool check metrics` rejects them.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP requests served, by route and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    graphqlOperationDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operations executed, by operation type and outcome.',
      labelNames: ['operation_type', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    grpcServerHandling: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'gRPC calls handled, by method and status code.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    kafkaMessagesProduced: new Counter({
      name: 'kafka_messages_produced_total',
      help: 'Events published, by topic and outcome.',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    kafkaMessagesConsumed: new Counter({
      name: 'kafka_messages_consumed_total',
      help: 'Events consumed, by topic and outcome (processed, duplicate, dead_lettered).',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    kafkaDeadLetters: new Counter({
      name: 'kafka_dead_letters_total',
      help: 'Messages sent to a dead-letter topic, by the topic they were consumed from.',
      labelNames: ['topic'] as const,
      registers,
    }),
    kafkaConsumerLag: new Gauge({
      name: 'kafka_consumer_lag_messages',
      help: 'Messages of a topic not yet committed by a consumer group (high watermark minus committed offset, summed over partitions).',
      labelNames: ['topic', 'group'] as const,
      registers,
    }),
    outboxRelayErrors: new Counter({
      name: 'outbox_relay_errors_total',
      help: 'Failed attempts to relay outbox rows to Kafka.',
      labelNames: ['topic'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
