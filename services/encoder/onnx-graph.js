// One ONNX graph of a BERT-style encoder: loaded once, then run on padded batches of token ids,
// answering last_hidden_state. Used by the encoder on its own thread (src/adapters/onnx-session.ts)
// and inside the worker thread of onnx-graph-worker.js. Plain CommonJS at the package's root (next
// to dist/, like libs/platform/tracing.js), so that a worker thread loads the same file from the
// compiled service, from TypeScript sources under tsx, and under Jest.
const ort = require('onnxruntime-node');

/** @param {{ intraOpThreads: number, spin: boolean }} options */
function sessionOptions(options) {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
  };
}

async function loadGraph(modelPath, options) {
  const session = await ort.InferenceSession.create(modelPath, sessionOptions(options));
  const needsTokenTypes = session.inputNames.includes('token_type_ids');
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run({ rows, seqLen, ids, mask }) {
      const shape = [rows, seqLen];
      const feeds = { input_ids: new ort.Tensor('int64', ids, shape), attention_mask: new ort.Tensor('int64', mask, shape) };
      if (needsTokenTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), shape);
      const out = await session.run(feeds, ['last_hidden_state']);
      const hidden = out.last_hidden_state;
      // A copy: the tensor's memory belongs to onnxruntime and is released with it.
      const result = { data: new Float32Array(hidden.data), dims: [...hidden.dims] };
      hidden.dispose();
      return result;
    },
    release: () => session.release(),
  };
}

module.exports = { loadGraph };
