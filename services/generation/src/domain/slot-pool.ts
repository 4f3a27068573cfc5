// A fixed set of slots (an embedded model's context sequences) handed out first come, first
// served. Waiters leave the queue when their signal aborts; a full queue refuses at once.

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} requests are already waiting`);
  }
}

interface Waiter<T> {
  resolve: (slot: T) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];

  constructor(slots: T[], private readonly maxWaiting: number, private readonly onChange: (inUse: number, waiting: number) => void = () => {}) {
    this.free = [...slots];
    this.size = slots.length;
  }

  readonly size: number;

  get waiting(): number {
    return this.waiters.length;
  }

  get inUse(): number {
    return this.size - this.free.length;
  }

  /** Resolves with a slot; rejects with the signal's reason when it aborts first. */
  acquire(signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const slot = this.free.pop();
    if (slot !== undefined) {
      this.changed();
      return Promise.resolve(slot);
    }
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(new QueueFullError(this.maxWaiting));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          this.changed();
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.changed();
    });
  }

  release(slot: T): void {
    const next = this.waiters.shift();
    if (next) {
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve(slot);
    } else {
      this.free.push(slot);
    }
    this.changed();
  }

  private changed(): void {
    this.onChange(this.inUse, this.waiters.length);
  }
}
