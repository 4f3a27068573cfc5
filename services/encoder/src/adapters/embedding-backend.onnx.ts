// Runs a BERT-style sentence encoder on CPU with onnxruntime-node: pads the batch to its longest
// input, runs the graph (onnx-graph.js) once, on one of its copies on worker threads by default
// (graph-pool.ts, onnx-session.ts), pools last_hidden_state as the model was trained.
import type { EmbeddingModelSpec } from '../domain/catalog';
import type { EmbeddingBackend, ModelInput } from '../domain/ports';
import { pool } from '../domain/vectors';
import { loadGraph, type Graph, type GraphOptions } from '../../onnx-graph';
import { GraphPool } from './graph-pool';
import { WorkerSession } from './onnx-session';

export interface OnnxOptions extends GraphOptions {
  /** Copies of the graph, each on a worker thread of its own; 0: one copy on the event loop's thread. */
  workers: number;
}

export class OnnxEmbeddingBackend implements EmbeddingBackend {
  readonly kind = 'ONNX' as const;

  private constructor(
    private readonly spec: EmbeddingModelSpec,
    private readonly session: Graph,
  ) {
    if (!session.outputNames.includes('last_hidden_state')) {
      throw new Error(`${spec.name}: the ONNX graph has no last_hidden_state output (outputs: ${session.outputNames.join(', ')})`);
    }
  }

  static async load(spec: EmbeddingModelSpec, modelPath: string, options: OnnxOptions): Promise<OnnxEmbeddingBackend> {
    const session =
      options.workers === 0 ? await loadGraph(modelPath, options) : await GraphPool.load(options.workers, () => WorkerSession.load(modelPath, options));
    try {
      return new OnnxEmbeddingBackend(spec, session);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  async embed(batch: ModelInput[]): Promise<Float32Array[]> {
    const rows = batch.length;
    const seqLen = Math.max(...batch.map((b) => b.ids.length));
    const ids = new BigInt64Array(rows * seqLen);
    const mask = new BigInt64Array(rows * seqLen);
    batch.forEach((input, r) => {
      input.ids.forEach((id, t) => {
        ids[r * seqLen + t] = BigInt(id);
        mask[r * seqLen + t] = 1n;
      });
    });
    const hidden = await this.session.run({ rows, seqLen, ids, mask });
    const dims = hidden.dims[2]!;
    if (dims !== this.spec.dimensions) throw new Error(`${this.spec.name}: model gives ${dims} dimensions, catalog says ${this.spec.dimensions}`);
    const states = { data: hidden.data, rows, seqLen, dims };
    return batch.map((_, r) => pool(this.spec.pooling, states, r, mask));
  }

  problem(): string | null {
    return this.session instanceof GraphPool ? this.session.problem() : null;
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
