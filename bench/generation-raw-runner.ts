// The raw baseline of bench/generation.ts, in a process of its own (as the service is): the same
// GGUF through node-llama-cpp's LlamaChat, timed in-process. Messages: { i, messages, maxTokens }
// in, { ttftMs, totalMs, completionTokens, firstAt, lastAt } out.
import { importNodeLlamaCpp } from '../services/generation/src/adapters/node-llama-cpp';
import { toChatHistory } from '../services/generation/src/adapters/embedded-backend.llama';
import type { ChatMessage } from '../services/generation/src/domain/model';

interface RawRequest {
  messages: ChatMessage[];
  maxTokens: number;
}

async function main(): Promise<void> {
  const [modelPath, threads, contextSize] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
  const { getLlama, LlamaChat, LlamaLogLevel } = await importNodeLlamaCpp();
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  const sequence = context.getSequence();
  const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
  process.on('message', (req: RawRequest | 'exit') => {
    if (req === 'exit') {
      void context.dispose().then(() => process.exit(0));
      return;
    }
    void (async () => {
      const start = performance.now();
      let first = 0;
      let last = 0;
      const before = sequence.tokenMeter.getState().usedOutputTokens;
      await chat.generateResponse(toChatHistory(req.messages), {
        maxTokens: req.maxTokens,
        temperature: 0,
        topP: 1,
        onTextChunk: () => {
          last = performance.now();
          first ||= last;
        },
      });
      const completionTokens = sequence.tokenMeter.getState().usedOutputTokens - before;
      process.send!({ ttftMs: first - start, totalMs: performance.now() - start, completionTokens, decodeMs: last - first });
    })();
  });
  process.send!('ready');
}

void main();
