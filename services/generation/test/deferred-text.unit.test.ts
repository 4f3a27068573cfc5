import { deferredText } from '../src/adapters/deferred-text';

describe('deferredText', () => {
  it('hands texts on later, in order, and is flushed only once all have arrived', async () => {
    const seen: string[] = [];
    const d = deferredText((t) => seen.push(t));
    d.push('a');
    d.push('b');
    expect(seen).toEqual([]); // not during the producer's callback
    await Promise.resolve();
    expect(seen).toEqual([]); // nor before a turn of the event loop
    d.push('c');
    await d.flushed();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('rejects the flush with the first error of the sink and drops the texts after it', async () => {
    const seen: string[] = [];
    const d = deferredText((t) => {
      if (t === 'bad') throw new Error('stream closed');
      seen.push(t);
    });
    for (const t of ['a', 'bad', 'c']) d.push(t);
    await expect(d.flushed()).rejects.toThrow('stream closed');
    expect(seen).toEqual(['a']);
  });
});
