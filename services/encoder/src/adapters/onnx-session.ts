// An ONNX graph (onnx-graph.js at the package's root) on a worker thread of its own, so that this
// thread keeps serving gRPC, health checks and metrics, and tokenizes the next requests, while the
// model runs (a run on this thread holds the event loop for the whole run: no timer fired during
// two 32 x 128-token runs of 541 ms; with the worker, this thread's timers fired 148 times).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Graph, GraphFeeds, GraphOptions, GraphOutput } from '../../onnx-graph';

/** The worker's program, next to onnx-graph.js (two levels above both src/adapters and dist/adapters). */
const workerFile = join(__dirname, '..', '..', 'onnx-graph-worker.js');

type FromWorker =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'load-failed'; message: string }
  | { type: 'output'; id: number; data: Float32Array; dims: number[] }
  | { type: 'failed'; id: number; message: string }
  | { type: 'released' };

/** The graph on a worker thread of its own. */
export class WorkerSession implements Graph {
  private readonly pending = new Map<number, { resolve(out: GraphOutput): void; reject(err: Error): void }>();
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

  static load(modelPath: string, options: GraphOptions): Promise<WorkerSession> {
    const worker = new Worker(workerFile, { workerData: { modelPath, options } });
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

  /** Set once the worker died or the graph was released: every run fails with it from then on. */
  get broken(): Error | null {
    return this.failure;
  }

  run(feeds: GraphFeeds): Promise<GraphOutput> {
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
