// Runs a BERT-style sentence encoder in-process with onnxruntime-node on CPU: pads the batch to
// its longest input, runs the graph once, pools last_hidden_state as the model was trained.
import * as ort from 'onnxruntime-node';
import type { EmbeddingModelSpec } from '../domain/catalog';
import type { EmbeddingBackend, ModelInput } from '../domain/ports';
import { pool } from '../domain/vectors';

export interface OnnxOptions {
  /** Threads inside one operator (the machine's cores, by default 2 here). */
  intraOpThreads: number;
  /** Whether those threads spin-wait between operators (faster alone, slower for neighbours). */
  spin: boolean;
}

export class OnnxEmbeddingBackend implements EmbeddingBackend {
  readonly kind = 'ONNX' as const;
  private readonly needsTokenTypes: boolean;

  private constructor(
    private readonly spec: EmbeddingModelSpec,
    private readonly session: ort.InferenceSession,
  ) {
    this.needsTokenTypes = session.inputNames.includes('token_type_ids');
    if (!session.outputNames.includes('last_hidden_state')) {
      throw new Error(`${spec.name}: the ONNX graph has no last_hidden_state output (outputs: ${session.outputNames.join(', ')})`);
    }
  }

  static async load(spec: EmbeddingModelSpec, modelPath: string, options: OnnxOptions): Promise<OnnxEmbeddingBackend> {
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
    });
    return new OnnxEmbeddingBackend(spec, session);
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
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [rows, seqLen]),
      attention_mask: new ort.Tensor('int64', mask, [rows, seqLen]),
    };
    if (this.needsTokenTypes) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(rows * seqLen), [rows, seqLen]);
    const out = await this.session.run(feeds, ['last_hidden_state']);
    const hidden = out['last_hidden_state']!;
    const dims = hidden.dims[2]!;
    if (dims !== this.spec.dimensions) throw new Error(`${this.spec.name}: model gives ${dims} dimensions, catalog says ${this.spec.dimensions}`);
    const states = { data: hidden.data as Float32Array, rows, seqLen, dims };
    const vectors = batch.map((_, r) => pool(this.spec.pooling, states, r, mask));
    hidden.dispose();
    return vectors;
  }

  close(): Promise<void> {
    return this.session.release();
  }
}
