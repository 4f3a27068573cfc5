// Streamed text handed on one turn of the event loop later. node-llama-cpp evaluates a sequence's
// next token only after its text callback returns, so whatever the callback does (the gRPC or
// SSE write, the record's bookkeeping) would otherwise add to every token's time; deferred, it
// runs while the next token is evaluated on the model's thread (bench/generation.ts: decode
// overhead 1.2 % and 1.6 % instead of 8.9 % and 10 %).

export interface DeferredText {
  /** Queues a text for `sink`; returns at once. */
  push: (text: string) => void;
  /**
   * Resolves once every text pushed so far has reached `sink`; rejects with the first error
   * `sink` threw (the texts after it are dropped), which would otherwise have gone uncaught.
   */
  flushed: () => Promise<void>;
}

export function deferredText(sink: (text: string) => void): DeferredText {
  let failure: { error: unknown } | null = null;
  const deliver = (text: string) => {
    if (failure) return;
    try {
      sink(text);
    } catch (error) {
      failure = { error };
    }
  };
  return {
    push: (text) => {
      setImmediate(deliver, text);
    },
    // setImmediate callbacks run in the order they were queued: this one after every push before it.
    flushed: () => new Promise((resolve, reject) => setImmediate(() => (failure ? reject(failure.error) : resolve()))),
  };
}
