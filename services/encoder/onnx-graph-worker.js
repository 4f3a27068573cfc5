// A worker thread that holds one ONNX graph (onnx-graph.js) for src/adapters/onnx-session.ts:
// it loads the graph named in workerData, says 'ready' (or 'load-failed'), then answers each
// 'run' message with the output (moved, not copied) or the failure, carrying the request's id.
const { parentPort, workerData } = require('node:worker_threads');
const { loadGraph } = require('./onnx-graph');

const messageOf = (err) => String(err && err.message ? err.message : err);

loadGraph(workerData.modelPath, workerData.options).then(
  (graph) => {
    parentPort.postMessage({ type: 'ready', inputNames: graph.inputNames, outputNames: graph.outputNames });
    parentPort.on('message', async (m) => {
      if (m.type === 'release') {
        await graph.release().catch(() => undefined);
        parentPort.postMessage({ type: 'released' });
        return;
      }
      try {
        const { data, dims } = await graph.run(m);
        parentPort.postMessage({ type: 'output', id: m.id, data, dims }, [data.buffer]);
      } catch (err) {
        parentPort.postMessage({ type: 'failed', id: m.id, message: messageOf(err) });
      }
    });
  },
  (err) => parentPort.postMessage({ type: 'load-failed', message: messageOf(err) }),
);
