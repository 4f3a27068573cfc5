// Combining abort signals without leaking: on Node 20, AbortSignal.any() keeps every combined
// signal reachable from a long-lived source (the shutdown signal), ~60 bytes per call. A linked
// signal detaches from its sources when released.

export interface LinkedSignal {
  signal: AbortSignal;
  release(): void;
}

/** A signal aborted (with its reason) as soon as any source aborts; release() when done with it. */
export function linkSignals(...sources: AbortSignal[]): LinkedSignal {
  const controller = new AbortController();
  const aborted = sources.find((s) => s.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const listeners = sources.map((source) => {
    const onAbort = () => {
      release();
      controller.abort(source.reason);
    };
    source.addEventListener('abort', onAbort, { once: true });
    return { source, onAbort };
  });
  const release = () => {
    for (const { source, onAbort } of listeners) source.removeEventListener('abort', onAbort);
  };
  return { signal: controller.signal, release };
}

/**
 * A deadline as a signal whose timer is cleared on release (AbortSignal.timeout's is not); it
 * aborts with `reason()`, by default a TimeoutError.
 */
export function deadlineSignal(ms: number, reason: () => unknown = () => new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError')): LinkedSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), ms);
  timer.unref?.();
  return { signal: controller.signal, release: () => clearTimeout(timer) };
}
