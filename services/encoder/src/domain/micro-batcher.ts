// Dynamic micro-batching: items submitted within `maxWaitMs` of each other (or while a batch is
// running) are merged into one run, up to `maxBatchSize` items and `maxBatchTokens` padded tokens
// (rows x longest row: what the model computes over). A request larger than one batch is split.

export interface BatchLimits {
  maxBatchSize: number;
  /** Padded tokens per batch; a single item is always let through. */
  maxBatchTokens: number;
  /** How long the first queued item waits for company when the model is idle. */
  maxWaitMs: number;
  /** Batches run at the same time (1: the model's threads are not shared). */
  maxConcurrentBatches: number;
}

export interface BatchStats {
  size: number;
  /** Real tokens in the batch. */
  tokens: number;
  /** rows x longest row. */
  paddedTokens: number;
  seconds: number;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => performance.now(),
};

interface Pending<I, O> {
  input: I;
  tokens: number;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export class MicroBatcher<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private running = 0;
  private timer: unknown = null;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly tokensOf: (input: I) => number,
    private readonly limits: BatchLimits,
    private readonly onBatch: (stats: BatchStats) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  /** Outputs in input order; rejects when a batch holding one of the inputs fails or `signal` aborts first. */
  submit(inputs: I[], signal?: AbortSignal): Promise<O[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const outputs = inputs.map(
      (input) =>
        new Promise<O>((resolve, reject) => {
          this.queue.push({ input, tokens: this.tokensOf(input), resolve, reject });
        }),
    );
    if (signal) {
      const entries = this.queue.slice(this.queue.length - inputs.length);
      signal.addEventListener('abort', () => this.withdraw(entries, signal.reason), { once: true });
    }
    this.schedule();
    return Promise.all(outputs);
  }

  /** Items waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  private withdraw(entries: Array<Pending<I, O>>, reason: unknown): void {
    for (const entry of entries) {
      const i = this.queue.indexOf(entry);
      if (i >= 0) {
        this.queue.splice(i, 1);
        entry.reject(reason);
      }
    }
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.running >= this.limits.maxConcurrentBatches) return;
    if (this.fullBatchQueued()) {
      this.flush();
      return;
    }
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.limits.maxWaitMs);
  }

  private fullBatchQueued(): boolean {
    return this.takeCount() < this.queue.length || this.queue.length >= this.limits.maxBatchSize;
  }

  /** How many queued items (from the head) fit one batch. */
  private takeCount(): number {
    let longest = 0;
    let n = 0;
    for (const item of this.queue) {
      const nextLongest = Math.max(longest, item.tokens);
      if (n > 0 && (n + 1 > this.limits.maxBatchSize || (n + 1) * nextLongest > this.limits.maxBatchTokens)) break;
      longest = nextLongest;
      n++;
    }
    return n;
  }

  private flush(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 && this.running < this.limits.maxConcurrentBatches) {
      const batch = this.queue.splice(0, this.takeCount());
      void this.runBatch(batch);
    }
  }

  private async runBatch(batch: Array<Pending<I, O>>): Promise<void> {
    this.running++;
    const started = this.clock.now();
    try {
      const outputs = await this.run(batch.map((p) => p.input));
      if (outputs.length !== batch.length) throw new Error(`batch of ${batch.length} gave ${outputs.length} outputs`);
      const longest = Math.max(...batch.map((p) => p.tokens));
      this.onBatch({
        size: batch.length,
        tokens: batch.reduce((s, p) => s + p.tokens, 0),
        paddedTokens: longest * batch.length,
        seconds: (this.clock.now() - started) / 1000,
      });
      batch.forEach((p, i) => p.resolve(outputs[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running--;
      // Items that queued up while this batch ran have waited long enough: run them now.
      if (this.queue.length > 0) this.flush();
    }
  }
}
