// The embedded backend: a GGUF model run in-process on CPU by node-llama-cpp. One context holds
// `sequences` independent sequences (each with its own KV cache of `contextSize` tokens) that are
// decoded together in shared batches; requests beyond them wait in a bounded FIFO queue.
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaChat, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { BackendUnavailableError } from '../domain/errors';
import type { ChatMessage } from '../domain/model';
import type { BackendRequest, BackendResult, ModelBackend, ModelInfo } from '../domain/ports';
import { QueueFullError, SlotPool } from '../domain/slot-pool';
import { importNodeLlamaCpp, type LoadNodeLlamaCpp } from './node-llama-cpp';
import { deferredText } from './deferred-text';

export interface EmbeddedBackendOptions {
  /** Backend name used in routing, records and metrics. */
  name: string;
  modelName: string;
  modelPath: string;
  /** CPU threads for evaluation. More threads than free cores makes decoding far slower. */
  threads: number;
  /** Tokens per sequence (prompt + completion). */
  contextSize: number;
  /** Requests generated concurrently. */
  sequences: number;
  /** Requests that may wait for a sequence; more are refused as unavailable. */
  maxQueue: number;
  onQueueChange?: (inUse: number, waiting: number) => void;
}

interface Slot {
  sequence: LlamaContextSequence;
  chat: LlamaChat;
}

const roles = { SYSTEM: 'system', USER: 'user' } as const;

/** Chat messages as node-llama-cpp's history, ending with the model turn to complete. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'ASSISTANT' ? { type: 'model', response: [m.content] } : { type: roles[m.role], text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

export class EmbeddedLlamaBackend implements ModelBackend {
  readonly kind = 'EMBEDDED' as const;
  readonly models: readonly ModelInfo[];
  private readonly pool: SlotPool<Slot>;
  private readonly chatWrapper: ChatWrapper;
  private readonly promptTokens = new WeakMap<ChatMessage[], number>();

  private constructor(
    readonly name: string,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    slots: Slot[],
    opts: EmbeddedBackendOptions,
  ) {
    this.models = [{ name: opts.modelName, contextLength: context.contextSize }];
    this.pool = new SlotPool(slots, opts.maxQueue, opts.onQueueChange);
    this.chatWrapper = slots[0]!.chat.chatWrapper;
  }

  static async load(opts: EmbeddedBackendOptions, loadModule: LoadNodeLlamaCpp = importNodeLlamaCpp): Promise<EmbeddedLlamaBackend> {
    const { getLlama, LlamaChat, LlamaLogLevel } = await loadModule();
    const llama = await getLlama({ gpu: false, build: 'never', maxThreads: opts.threads, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: opts.modelPath });
    const context = await model.createContext({ contextSize: opts.contextSize, sequences: opts.sequences, threads: opts.threads });
    const slots = Array.from({ length: opts.sequences }, () => {
      const sequence = context.getSequence();
      return { sequence, chat: new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false }) };
    });
    return new EmbeddedLlamaBackend(opts.name, llama, model, context, slots, opts);
  }

  /** Requests generating now and waiting for a sequence. */
  get load(): { inUse: number; waiting: number; sequences: number } {
    return { inUse: this.pool.inUse, waiting: this.pool.waiting, sequences: this.pool.size };
  }

  countPromptTokens(_model: string, messages: ChatMessage[]): number {
    // The service counts a prompt to check it fits the context, then generates it: count once.
    let count = this.promptTokens.get(messages);
    if (count === undefined) {
      const { contextText } = this.chatWrapper.generateContextState({ chatHistory: toChatHistory(messages) });
      count = contextText.tokenize(this.model.tokenizer).length;
      this.promptTokens.set(messages, count);
    }
    return count;
  }

  /** Tokens of plain text (no chat template), with the model's tokenizer. */
  countTextTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  countOutputTokens(_model: string, text: string): number {
    return this.countTextTokens(text);
  }

  async generate(request: BackendRequest): Promise<BackendResult> {
    let slot: Slot;
    try {
      slot = await this.pool.acquire(request.signal);
    } catch (err) {
      if (err instanceof QueueFullError) throw new BackendUnavailableError(this.name, `queue full (${err.message})`);
      throw err;
    }
    try {
      const promptTokens = this.countPromptTokens(request.model, request.messages);
      const before = slot.sequence.tokenMeter.getState().usedOutputTokens;
      const { parameters } = request;
      // node-llama-cpp evaluates the next token only once its text callback returns: the text is
      // handed on in the next turn of the event loop, while the next token is being evaluated.
      const deliver = deferredText(request.onText);
      let response;
      try {
        response = await slot.chat.generateResponse(toChatHistory(request.messages), {
          maxTokens: parameters.maxTokens,
          temperature: parameters.temperature,
          topP: parameters.topP,
          seed: parameters.seed ?? undefined,
          customStopTriggers: parameters.stop.length ? parameters.stop : undefined,
          signal: request.signal,
          onTextChunk: deliver.push,
        });
      } finally {
        // Every text is handed on before the result or the error, as if called directly.
        await deliver.flushed();
      }
      const completionTokens = slot.sequence.tokenMeter.getState().usedOutputTokens - before;
      const stop = response.metadata.stopReason;
      return {
        text: response.response,
        finishReason: stop === 'maxTokens' ? 'LENGTH' : stop === 'customStopTrigger' ? 'STOP_SEQUENCE' : 'STOP',
        promptTokens,
        completionTokens,
      };
    } catch (err) {
      if (request.signal.aborted) throw request.signal.reason;
      throw new BackendUnavailableError(this.name, (err as Error).message, { cause: err });
    } finally {
      this.pool.release(slot);
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

}
