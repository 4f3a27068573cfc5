// The evaluation runs this process is working on, shared by the run services of every project:
// one background job per run, all interrupted together when the service stops.
export class RunJobs {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;

  has(id: string): boolean {
    return this.active.has(id);
  }

  /** Starts `work` for the run unless it already runs here or the service is stopping; `work` must not reject. */
  launch(id: string, work: (signal: AbortSignal) => Promise<void>): void {
    if (this.stopping || this.active.has(id)) return;
    const controller = new AbortController();
    const done = work(controller.signal).finally(() => this.active.delete(id));
    this.active.set(id, { controller, done });
  }

  /** Interrupts the run's job (if any) and waits for it to end. */
  async abort(id: string, reason: Error): Promise<void> {
    const job = this.active.get(id);
    job?.controller.abort(reason);
    await job?.done;
  }

  /** Waits until the run's job (if any) ends. */
  async settled(id: string): Promise<void> {
    await this.active.get(id)?.done;
  }

  /** Interrupts every job and waits for them; no job starts afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    const jobs = [...this.active.values()];
    for (const job of jobs) job.controller.abort(new Error('the service is stopping'));
    await Promise.all(jobs.map((j) => j.done));
  }
}
