// Where an ONNX graph runs: in this thread, or in a worker thread of its own so that this thread
// keeps serving gRPC, health checks and metrics, and tokenizes the next requests, while the model
// runs (an in-process onnxruntime-node run holds the event loop for the whole run: no timer fired
// during two 32 x 128-token runs of 541 ms; in a worker, the main thread's timers fired 148 times).
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface SessionOptions {
  /** Threads inside one operator. */
  intraOpThreads: number;
  /** Whether those threads spin-wait between operators. */
  spin: boolean;
}

/** One batch, row-major [rows, seqLen]; token types are sent only when the graph takes them. */
export interface SessionFeeds {
  rows: number;
  seqLen: number;
  ids: BigInt64Array;
  mask: BigInt64Array;
}

export interface SessionOutput {
  /** last_hidden_state, [rows, seqLen, dims]. */
  data: Float32Array;
  dims: number[];
}

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: SessionFeeds): Promise<SessionOutput>;
  release(): Promise<void>;
}

function ortOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
  };
}

/** The graph on this thread. */
export class InProcessSession implements OnnxSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(modelPath: string, options: SessionOptions): Promise<InProcessSession> {
    return new InProcessSession(await ort.InferenceSession.create(modelPath, ortOptions(options)));
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: SessionFeeds): Promise<SessionOutput> {
    const shape = [feeds.rows, feeds.seqLen];
    const inputs: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', feeds.ids, shape),
      attention_mask: new ort.Tensor('int64', feeds.mask, shape),
    };
    if (this.session.inputNames.includes('token_type_ids')) inputs['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(feeds.ids.length), shape);
    const out = await this.session.run(inputs, ['last_hidden_state']);
    const hidden = out['last_hidden_state']!;
    // A copy: the tensor's memory belongs to onnxruntime and is released with it.
    const result = { data: new Float32Array(hidden.data as Float32Array), dims: [...hidden.dims] };
    hidden.dispose();
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

// The worker's program. It runs as plain JavaScript (eval), so it works the same from the compiled
// service, from TypeScript sources under tsx and under Jest; onnxruntime-node is required by the
// path this module resolved. It holds an InProcessSession's logic for one graph: load, then one
// run per message, answers carrying the request's id.
const workerProgram = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
ort.InferenceSession.create(workerData.modelPath, workerData.sessionOptions).then(
  (session) => {
    parentPort.postMessage({ type: 'ready', inputNames: session.inputNames, outputNames: session.outputNames });
    parentPort.on('message', async (m) => {
      if (m.type === 'release') {
        await session.release().catch(() => {});
        parentPort.postMessage({ type: 'released' });
        return;
      }
      try {
        const shape = [m.rows, m.seqLen];
        const feeds = { input_ids: new ort.Tensor('int64', m.ids, shape), attention_mask: new ort.Tensor('int64', m.mask, shape) };
        if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(m.ids.length), shape);
        const out = await session.run(feeds, ['last_hidden_state']);
        const hidden = out.last_hidden_state;
        const data = new Float32Array(hidden.data);
        const dims = [...hidden.dims];
        hidden.dispose();
        parentPort.postMessage({ type: 'output', id: m.id, data, dims }, [data.buffer]);
      } catch (err) {
        parentPort.postMessage({ type: 'failed', id: m.id, message: String(err && err.message ? err.message : err) });
      }
    });
  },
  (err) => parentPort.postMessage({ type: 'load-failed', message: String(err && err.message ? err.message : err) }),
);
`;

type FromWorker =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'load-failed'; message: string }
  | { type: 'output'; id: number; data: Float32Array; dims: number[] }
  | { type: 'failed'; id: number; message: string }
  | { type: 'released' };

/** The graph on a worker thread of its own. */
export class WorkerSession implements OnnxSession {
  private readonly pending = new Map<number, { resolve(out: SessionOutput): void; reject(err: Error): void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private released: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    private readonly modelPath: string,
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'output' && m.type !== 'failed') return;
      const call = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'output') call?.resolve({ data: m.data, dims: m.dims });
      else call?.reject(new Error(`${modelPath}: ${m.message}`));
    });
    // A worker that dies takes its runs with it: they fail, and so does every later one.
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const call of this.pending.values()) call.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`${modelPath}: the model's worker thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new Error(`${modelPath}: the model's worker thread exited (code ${code})`)));
  }

  static load(modelPath: string, options: SessionOptions): Promise<WorkerSession> {
    const worker = new Worker(workerProgram, {
      eval: true,
      workerData: { ortPath: require.resolve('onnxruntime-node'), modelPath, sessionOptions: ortOptions(options) },
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`${modelPath}: the model's worker thread failed to start: ${err.message}`, { cause: err }));
      const onExit = (code: number) => reject(new Error(`${modelPath}: the model's worker thread exited (code ${code}) before the model was loaded`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', (m: FromWorker) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (m.type === 'ready') {
          resolve(new WorkerSession(worker, m.inputNames, m.outputNames, modelPath));
          return;
        }
        void worker.terminate();
        reject(new Error(`${modelPath}: ${m.type === 'load-failed' ? m.message : `unexpected first message ${m.type}`}`));
      });
    });
  }

  run(feeds: SessionFeeds): Promise<SessionOutput> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // The inputs are copied (tens of kB; the caller pools with the mask afterwards), the output moved.
      this.worker.postMessage({ type: 'run', id, ...feeds });
    });
  }

  /** Releases the graph in the worker, then stops the worker; runs still pending fail. */
  release(): Promise<void> {
    this.released ??= (async () => {
      if (!this.failure) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          this.worker.on('message', (m: FromWorker) => {
            if (m.type === 'released') {
              clearTimeout(timer);
              resolve();
            }
          });
          this.worker.postMessage({ type: 'release' });
        });
      }
      this.failure ??= new Error(`${this.modelPath}: the model was released`);
      await this.worker.terminate();
    })();
    return this.released;
  }
}
