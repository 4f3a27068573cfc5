// Dynamic micro-batching: items submitted within `maxWaitMs` of each other (or while a batch is
// running) are merged into one run, up to `maxBatchSize` items and `maxBatchTokens` padded tokens
// (rows x longest row: what the model computes over). A request larger than one batch is split.
// Up to `maxConcurrentBatches` runs at once (one per copy of the model); what is queued when
// several are free is shared out evenly between them.
// Two lanes: interactive requests (search queries) go ahead of everything batch work (offline
// ingestion) has queued, and a run holds one lane's items only, so a query never waits for a
// batch of documents beyond the run already on the model.

export interface BatchLimits {
  maxBatchSize: number;
  /** Padded tokens per batch; a single item is always let through. */
  maxBatchTokens: number;
  /** How long the first queued item waits for company when the model is idle. */
  maxWaitMs: number;
  /** Batches run at the same time (one per copy of the model: ENCODER_ONNX_WORKERS). */
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
  /** Runs `fn` once pending I/O has been read (Node's setImmediate). */
  afterIo(fn: () => void): void;
  now(): number;
}

const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  afterIo: (fn) => setImmediate(fn),
  now: () => performance.now(),
};

/** Interactive requests run before any queued batch work; batch work fills the model otherwise. */
export type Priority = 'interactive' | 'batch';

interface Pending<I, O> {
  input: I;
  tokens: number;
  priority: Priority;
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
  submit(inputs: I[], signal?: AbortSignal, priority: Priority = 'interactive'): Promise<O[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const entries: Array<Pending<I, O>> = [];
    const outputs = inputs.map(
      (input) =>
        new Promise<O>((resolve, reject) => {
          entries.push({ input, tokens: this.tokensOf(input), priority, resolve, reject });
        }),
    );
    // The queue holds interactive items first, each lane in arrival order.
    const batchStart = this.queue.findIndex((p) => p.priority === 'batch');
    if (priority === 'interactive' && batchStart >= 0) this.queue.splice(batchStart, 0, ...entries);
    else this.queue.push(...entries);
    if (signal) signal.addEventListener('abort', () => this.withdraw(entries, signal.reason), { once: true });
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

  /** How many queued items (from the head, of the head's lane) fit one batch. */
  private takeCount(): number {
    let longest = 0;
    let n = 0;
    for (const item of this.queue) {
      const nextLongest = Math.max(longest, item.tokens);
      if (n > 0 && item.priority !== this.queue[0]!.priority) break;
      if (n > 0 && (n + 1 > this.limits.maxBatchSize || (n + 1) * nextLongest > this.limits.maxBatchTokens)) break;
      longest = nextLongest;
      n++;
    }
    return n;
  }

  /** Queued items of the head's lane. */
  private laneLength(): number {
    const lane = this.queue[0]?.priority;
    const other = this.queue.findIndex((p) => p.priority !== lane);
    return other < 0 ? this.queue.length : other;
  }

  private flush(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 && this.running < this.limits.maxConcurrentBatches) {
      // With several runs free, the head's lane is shared out between them (a lone request of 64
      // texts runs as two of 32 on two copies of the model), each run taking at most one batch.
      const free = this.limits.maxConcurrentBatches - this.running;
      const share = Math.ceil(this.laneLength() / free);
      const batch = this.queue.splice(0, Math.min(this.takeCount(), share));
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
      // Items that queued up while this batch ran have waited long enough: run them next. The
      // next batch is chosen once the requests that arrived during the run have been read (a model
      // run on the event loop's thread holds it: ENCODER_ONNX_WORKERS=0), so that a query sent
      // meanwhile goes first.
      if (this.queue.length > 0) this.clock.afterIo(() => this.flush());
    }
  }
}
