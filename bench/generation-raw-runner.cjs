// The raw baseline of bench/generation.ts, on plain Node in a process of its own (as the service
// runs): the same GGUF through node-llama-cpp's LlamaChat, timed in-process. Messages in:
// { messages: [{ role, content }], maxTokens } or 'exit'; out: { ttftMs, totalMs, completionTokens, decodeMs }.
/* global process, performance */
// node-llama-cpp is an ES module with top-level await: a real import(), not require().
const importModule = new Function('specifier', 'return import(specifier)');
const roles = { SYSTEM: 'system', USER: 'user' };

async function main() {
  const [modelPath, threads, contextSize] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const { getLlama, LlamaChat, LlamaLogLevel } = await importModule('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  const sequence = context.getSequence();
  const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
  process.on('message', (req) => {
    if (req === 'exit') {
      void context.dispose().then(() => process.exit(0));
      return;
    }
    void (async () => {
      // The same chat history as the service's embedded backend builds (toChatHistory).
      const history = req.messages.map((m) => (m.role === 'ASSISTANT' ? { type: 'model', response: [m.content] } : { type: roles[m.role], text: m.content }));
      history.push({ type: 'model', response: [] });
      const start = performance.now();
      let first = 0;
      let last = 0;
      const before = sequence.tokenMeter.getState().usedOutputTokens;
      await chat.generateResponse(history, {
        maxTokens: req.maxTokens,
        temperature: 0,
        topP: 1,
        onTextChunk: () => {
          last = performance.now();
          first ||= last;
        },
      });
      const completionTokens = sequence.tokenMeter.getState().usedOutputTokens - before;
      process.send({ ttftMs: first - start, totalMs: performance.now() - start, completionTokens, decodeMs: last - first });
    })();
  });
  process.send('ready');
}

void main();
