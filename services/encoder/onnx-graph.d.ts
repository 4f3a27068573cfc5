// Types of onnx-graph.js (plain CommonJS, see there).
export interface GraphOptions {
  /** Threads inside one operator. */
  intraOpThreads: number;
  /** Whether those threads spin-wait between operators. */
  spin: boolean;
}

/** One batch, row-major [rows, seqLen]; token types are added when the graph takes them. */
export interface GraphFeeds {
  rows: number;
  seqLen: number;
  ids: BigInt64Array;
  mask: BigInt64Array;
}

export interface GraphOutput {
  /** last_hidden_state, [rows, seqLen, dims]. */
  data: Float32Array;
  dims: number[];
}

export interface Graph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: GraphFeeds): Promise<GraphOutput>;
  release(): Promise<void>;
  /**
   * Why the graph can run no more (its worker thread died, or it was released); null or absent
   * while it can. A graph on this thread never breaks.
   */
  readonly broken?: Error | null;
}

export function loadGraph(modelPath: string, options: GraphOptions): Promise<Graph>;
