// A small OpenAI-compatible server (POST /v1/chat/completions, streaming and not) whose answers
// come from the real embedded model: the stand-in for a vLLM/TGI GPU pod in tests. It can be told
// to fail with an HTTP status, to hang or to send no usage, and it counts the requests its clients cancelled.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmbeddedLlamaBackend } from '../src/adapters/embedded-backend.llama';
import { PromptTooLongError } from '../src/domain/errors';
import type { ChatMessage, ChatRole } from '../src/domain/model';

interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export class OpenAiCompatibleServer {
  readonly requests: Array<{ body: ChatRequest; authorization?: string }> = [];
  cancelled = 0;
  failWith: number | null = null;
  hang = false;
  /** Like a server that ignores stream_options.include_usage: no usage in the stream. */
  omitUsage = false;
  private server?: Server;
  url = '';

  constructor(private readonly model: EmbeddedLlamaBackend, private readonly servedName: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        void this.answer(raw, req.headers.authorization, res).catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async answer(raw: string, authorization: string | undefined, res: import('node:http').ServerResponse): Promise<void> {
    const body = JSON.parse(raw) as ChatRequest;
    this.requests.push({ body, authorization });
    if (this.hang) return;
    if (this.failWith !== null) {
      res.writeHead(this.failWith, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'injected failure' } }));
      return;
    }
    if (body.model !== this.servedName) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `model ${body.model} does not exist` } }));
      return;
    }
    const messages: ChatMessage[] = body.messages.map((m) => ({ role: m.role.toUpperCase() as ChatRole, content: m.content }));
    const maxTokens = body.max_tokens ?? 16;
    const promptTokens = this.model.countPromptTokens(this.servedName, messages);
    const contextLength = this.model.models[0]!.contextLength;
    if (promptTokens + maxTokens > contextLength) {
      const message = new PromptTooLongError(promptTokens, maxTokens, contextLength).message;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
      return;
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        this.cancelled++;
        abort.abort(new Error('client went away'));
      }
    });
    const stop = body.stop === undefined ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
    const id = `chatcmpl-${this.requests.length}`;
    const chunk = (choice: object, usage?: object) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, ...choice }], ...(usage ? { usage } : {}) })}\n\n`;
    if (body.stream) res.writeHead(200, { 'content-type': 'text/event-stream' }).write(chunk({ delta: { role: 'assistant' }, finish_reason: null }));
    try {
      const result = await this.model.generate({
        model: this.servedName,
        messages,
        parameters: { maxTokens, temperature: body.temperature ?? 1, topP: body.top_p ?? 1, seed: body.seed ?? null, stop },
        signal: abort.signal,
        onText: (text) => {
          if (body.stream) res.write(chunk({ delta: { content: text }, finish_reason: null }));
        },
      });
      const finish = result.finishReason === 'LENGTH' ? 'length' : 'stop';
      // vLLM names the stop string that ended generation.
      const stopReason = result.finishReason === 'STOP_SEQUENCE' ? (stop.find((s) => !result.text.includes(s)) ?? null) : null;
      const usage = { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: (result.promptTokens ?? 0) + (result.completionTokens ?? 0) };
      if (body.stream) {
        res.write(chunk({ delta: {}, finish_reason: finish, stop_reason: stopReason }));
        if (body.stream_options?.include_usage && !this.omitUsage) res.write(`data: ${JSON.stringify({ id, choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ id, object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: finish }], usage }),
        );
      }
    } catch {
      res.destroy();
    }
  }
}
