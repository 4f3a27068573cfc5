// Several copies of one ONNX graph, each on a worker thread of its own (onnx-session.ts): a run goes
// to the copy with the fewest runs in flight, so the micro-batcher's concurrent batches run side by
// side. onnxruntime runs one session's calls one after another, and one graph with two intra-op
// threads waits at every operator for both: on 2 cores, two copies with one thread each embedded
// 128-token documents 1.1-1.4x faster than one copy with two (batches of 8-32, 2026-11-29).
import type { Graph, GraphFeeds, GraphOutput } from '../../onnx-graph';

export class GraphPool implements Graph {
  private readonly inFlight: number[];

  constructor(private readonly graphs: readonly Graph[]) {
    if (graphs.length === 0) throw new Error('a graph pool needs at least one graph');
    this.inFlight = graphs.map(() => 0);
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
    return new GraphPool(graphs);
  }

  get size(): number {
    return this.graphs.length;
  }

  get inputNames(): readonly string[] {
    return this.graphs[0]!.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.graphs[0]!.outputNames;
  }

  async run(feeds: GraphFeeds): Promise<GraphOutput> {
    const i = this.inFlight.indexOf(Math.min(...this.inFlight));
    this.inFlight[i]!++;
    try {
      return await this.graphs[i]!.run(feeds);
    } finally {
      this.inFlight[i]!--;
    }
  }

  async release(): Promise<void> {
    await Promise.all(this.graphs.map((g) => g.release()));
  }
}
