// Several copies of one ONNX graph, each on a worker thread of its own (onnx-session.ts): a run goes
// to the copy with the fewest runs in flight, so the micro-batcher's concurrent batches run side by
// side. onnxruntime runs one session's calls one after another, and one graph with two intra-op
// threads waits at every operator for both: on 2 cores, two copies with one thread each embedded
// 128-token documents 1.1-1.4x faster than one copy with two (batches of 8-32, 2026-11-29).
//
// A copy whose worker thread died (`broken`) fails its runs in flight and would fail every later
// one at once, so it takes no more runs: the others do, while the pool loads a fresh copy in its
// place (at most one load per copy at a time; after a failed load, the next waits 1 s, doubling up
// to 30 s). Only when no copy can run is a run refused, as UnavailableError (retried by callers).
import { UnavailableError } from '@llmops/platform';
import type { Graph, GraphFeeds, GraphOutput } from '../../onnx-graph';

const firstRestartDelayMs = 1_000;
const maxRestartDelayMs = 30_000;

interface Slot {
  graph: Graph;
  inFlight: number;
  restarting: Promise<void> | null;
  /** No new load of this copy before this time (after a failed one). */
  notBefore: number;
  delayMs: number;
  lastFailure: Error | null;
}

export class GraphPool implements Graph {
  private readonly slots: Slot[];
  private closed: Promise<void> | null = null;

  /** `reload` loads a fresh copy in place of one that broke; without it, broken copies are only skipped. */
  constructor(
    graphs: readonly Graph[],
    private readonly reload?: () => Promise<Graph>,
    private readonly now: () => number = Date.now,
  ) {
    if (graphs.length === 0) throw new Error('a graph pool needs at least one graph');
    this.slots = graphs.map((graph) => ({ graph, inFlight: 0, restarting: null, notBefore: 0, delayMs: firstRestartDelayMs, lastFailure: null }));
  }

  /** Loads `copies` graphs at once; if one fails, the others are released and the first failure thrown. */
  static async load(copies: number, load: () => Promise<Graph>): Promise<GraphPool> {
    const loaded = await Promise.allSettled(Array.from({ length: copies }, load));
    const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const graphs = loaded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (failed) {
      await Promise.allSettled(graphs.map((g) => g.release()));
      throw failed.reason;
    }
    return new GraphPool(graphs, load);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Copies that can run now (the others are broken, and being loaded again). */
  get running(): number {
    return this.slots.filter((s) => !s.graph.broken).length;
  }

  /**
   * Null while a copy can run, else why none can. Asking starts loading the broken copies again
   * (as a run does), so that a pool taken out of service by its readiness comes back by itself.
   */
  problem(): string | null {
    for (const slot of this.slots) if (slot.graph.broken) this.restart(slot);
    if (this.running > 0) return null;
    const failure = this.slots.find((s) => s.lastFailure)?.lastFailure;
    return `no copy of the graph can run (${this.slots.length} loading again${failure ? `; last load failed: ${failure.message}` : ''})`;
  }

  get inputNames(): readonly string[] {
    return this.slots[0]!.graph.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.slots[0]!.graph.outputNames;
  }

  async run(feeds: GraphFeeds): Promise<GraphOutput> {
    let best: Slot | null = null;
    for (const slot of this.slots) {
      if (slot.graph.broken) this.restart(slot);
      else if (!best || slot.inFlight < best.inFlight) best = slot;
    }
    if (!best) {
      const slot = this.slots[0]!;
      const cause = slot.lastFailure ?? slot.graph.broken ?? undefined;
      throw new UnavailableError('the embedding model (no copy of its graph can run; loading them again)', { cause });
    }
    // The slot, not the graph: its count stays with the copy that ran, even once it is replaced.
    const slot = best;
    const graph = slot.graph;
    slot.inFlight++;
    try {
      return await graph.run(feeds);
    } finally {
      if (slot.graph === graph) slot.inFlight--;
    }
  }

  /** Loads a fresh copy in place of a broken one, unless one is loading or a failed load is too recent. */
  private restart(slot: Slot): void {
    if (!this.reload || this.closed || slot.restarting || this.now() < slot.notBefore) return;
    const broken = slot.graph;
    const reload = this.reload;
    slot.restarting = (async () => {
      await broken.release().catch(() => undefined);
      try {
        const fresh = await reload();
        if (this.closed) {
          await fresh.release();
          return;
        }
        slot.graph = fresh;
        slot.inFlight = 0;
        slot.delayMs = firstRestartDelayMs;
        slot.lastFailure = null;
      } catch (err) {
        slot.lastFailure = err instanceof Error ? err : new Error(String(err));
        slot.notBefore = this.now() + slot.delayMs;
        slot.delayMs = Math.min(slot.delayMs * 2, maxRestartDelayMs);
      }
    })().finally(() => {
      slot.restarting = null;
    });
  }

  /** Waits for copies being loaded again (for tests and release). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.slots.map((s) => s.restarting));
  }

  release(): Promise<void> {
    this.closed ??= (async () => {
      await this.settled();
      await Promise.all(this.slots.map((s) => s.graph.release()));
    })();
    return this.closed;
  }
}
