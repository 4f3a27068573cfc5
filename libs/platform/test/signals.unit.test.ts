// Linked and deadline signals (src/signals.ts): a linked signal aborts with its first source's
// reason and lets go of long-lived sources once released; a deadline's timer is cleared on release.
import { deadlineSignal, linkSignals } from '../src';

describe('linked signals', () => {
  test('abort with the first source reason, and detach from long-lived sources when released', async () => {
    const shutdown = new AbortController();
    const call = new AbortController();
    const linked = linkSignals(call.signal, shutdown.signal);
    call.abort(new Error('client gone'));
    expect(linked.signal.reason).toEqual(new Error('client gone'));

    const released = linkSignals(shutdown.signal);
    released.release();
    shutdown.abort();
    expect(released.signal.aborted).toBe(false);
    expect(linkSignals(shutdown.signal).signal.aborted).toBe(true);

    const deadline = deadlineSignal(10);
    await new Promise((r) => setTimeout(r, 30));
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    const cleared = deadlineSignal(10);
    cleared.release();
    await new Promise((r) => setTimeout(r, 30));
    expect(cleared.signal.aborted).toBe(false);
  });
});

test('a deadline aborts with the reason it is given', async () => {
  const deadline = deadlineSignal(5, () => new Error('too late'));
  await new Promise((r) => setTimeout(r, 20));
  expect(deadline.signal.reason).toEqual(new Error('too late'));
});
