const dynImport = new Function('s', 'return import(s)');
(async () => {
  const { getLlama, LlamaChat } = await dynImport('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: 1, logLevel: 'error' });
  const model = await llama.loadModel({ modelPath: process.env.HOME + '/.cache/llmops/models/smollm2-135m-instruct/model.gguf' });
  const mk = async (n) => { const ctx = await model.createContext({ contextSize: 2048, sequences: n, threads: 1 }); const seq = ctx.getSequence(); return { seq, chat: new LlamaChat({ contextSequence: seq, autoDisposeSequence: false }) }; };
  const a = await mk(1), b = await mk(4);
  const run = async (x, i) => { const t0 = performance.now(); let first = 0, last = 0; const before = x.seq.tokenMeter.getState().usedOutputTokens;
    await x.chat.generateResponse([{ type: 'system', text: 'You are a patient teacher. Explain in detail, with examples.' }, { type: 'user', text: 'Explain how a bicycle works ' + i }, { type: 'model', response: [] }], { maxTokens: 96, temperature: 0, onTextChunk: () => { last = performance.now(); first ||= last; } });
    const n = x.seq.tokenMeter.getState().usedOutputTokens - before; return `ttft ${(first - t0).toFixed(0)} tps ${((n - 1) * 1000 / (last - first)).toFixed(1)}`; };
  for (let i = 0; i < 4; i++) console.log('seq1', await run(a, i), '| seq4', await run(b, i));
})();
