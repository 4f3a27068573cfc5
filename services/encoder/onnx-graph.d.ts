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
}

export function loadGraph(modelPath: string, options: GraphOptions): Promise<Graph>;
