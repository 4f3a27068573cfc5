// Consumer lag, as Prometheus sees it: every `intervalMs` the group's committed offsets and the
// topics' high watermarks are read through the Kafka admin API, and
// kafka_consumer_lag_messages{topic, group} is set to the messages not yet committed, summed over
// partitions (partition is not a label: it would multiply the series by the partition count).
// Reading from the broker, not from the consumer, keeps the gauge true when the consumer is stuck.
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

export interface PartitionWatermarks {
  partition: number;
  high: string;
  low: string;
}

export interface CommittedOffset {
  partition: number;
  /** '-1' when the group has committed nothing on the partition yet. */
  offset: string;
}

/**
 * Messages between each partition's committed offset and its high watermark. A partition the
 * group has not committed on counts from its low watermark when the group starts at the oldest
 * message, and as caught up when it only reads messages sent after it joined.
 */
export function consumerLag(watermarks: PartitionWatermarks[], committed: CommittedOffset[], fromBeginning: boolean): number {
  const committedBy = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  let lag = 0n;
  for (const w of watermarks) {
    const high = BigInt(w.high);
    const low = BigInt(w.low);
    const c = committedBy.get(w.partition) ?? -1n;
    const from = c < 0n ? (fromBeginning ? low : high) : c < low ? low : c;
    if (high > from) lag += high - from;
  }
  return Number(lag);
}

export interface ConsumerLagMonitorOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  /** How often the offsets are read (default 15 s). */
  intervalMs?: number;
}

export class ConsumerLagMonitor {
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: ConsumerLagMonitorOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Reads the lag now, then every interval; failures are logged and retried at the next tick. */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    const tick = () => {
      if (!this.running) this.running = this.refresh().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.opts.intervalMs ?? 15_000);
    this.timer.unref();
    tick();
  }

  /** Does not wait for a read in flight (Kafka may be down): disconnecting ends it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }

  async refresh(): Promise<void> {
    const { groupId, topics, fromBeginning } = this.opts;
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
      }
      const admin = this.admin;
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const topic of topics) {
        const watermarks = await admin.fetchTopicOffsets(topic);
        if (this.stopped) return;
        const offsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
        this.metrics.kafkaConsumerLag.set({ topic, group: groupId }, consumerLag(watermarks, offsets, fromBeginning));
      }
    } catch (err) {
      if (this.stopped) return;
      this.logger.warn({ err, groupId, topics }, 'could not read consumer lag');
    }
  }
}
