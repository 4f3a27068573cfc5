import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, UnavailableError } from '@llmops/platform';
import { FeedbackService } from '../src/domain/feedback/feedback-service';
import type { FeedbackLimits } from '../src/domain/feedback/model';
import { CountingObserver, MapLookup, MemoryFeedbackStore, RecordingPublisher, generationFact } from './feedback-fakes';

const limits: FeedbackLimits = { scoreMin: 1, scoreMax: 5, commentMaxChars: 20, maxLabels: 3, labelMaxChars: 8, userMaxChars: 10, batchMax: 4 };
const genId = '00000000-0000-4000-8000-000000000001';
const now = new Date('2026-01-01T00:10:00Z');

function setup(opts: { lookup?: MapLookup } = {}) {
  const store = new MemoryFeedbackStore();
  const publisher = new RecordingPublisher();
  const observer = new CountingObserver();
  let n = 0;
  const service = new FeedbackService({
    store,
    publisher,
    lookup: opts.lookup ?? null,
    limits,
    observer,
    newId: () => `10000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    now: () => now,
  });
  void store.recordGeneration(generationFact({ generationId: genId }));
  return { store, publisher, observer, service };
}

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error, field?: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  if (field) expect((err as InputError).field ?? (err as NotFoundError).details.field).toBe(field);
}

describe('FeedbackService.submit', () => {
  it('publishes valid feedback attributed to the generation prompt version', async () => {
    const { service, publisher, observer } = setup();
    const fb = await service.submit({ generationId: genId, score: 4, comment: 'good', labels: ['tone', 'tone', ' style '], user: 'ann' });
    expect(fb).toMatchObject({ generationId: genId, score: 4, thumbs: null, labels: ['tone', 'style'], user: 'ann', createdAt: now });
    expect(publisher.published).toEqual([expect.objectContaining({ id: fb.id, promptVersionId: generationFact().promptVersionId, promptName: 'greeting' })]);
    expect(observer.submittedCounts).toEqual({ 'score/accepted': 1 });
  });

  it.each([
    [{ score: 0 }, 'input.score'],
    [{ score: 5.5 }, 'input.score'],
    [{ score: Number.NaN }, 'input.score'],
    [{}, 'input.score'],
    [{ score: 3, thumbs: 'UP' as const }, 'input.score'],
    [{ thumbs: 'UP' as const, comment: 'x'.repeat(21) }, 'input.comment'],
    [{ thumbs: 'UP' as const, labels: ['a', 'b', 'c', 'd'] }, 'input.labels'],
    [{ thumbs: 'UP' as const, labels: ['ok', 'much-too-long'] }, 'input.labels.1'],
    [{ thumbs: 'UP' as const, user: '' }, 'input.user'],
    [{ thumbs: 'UP' as const, id: 'not-a-uuid' }, 'input.id'],
  ])('rejects %j naming %s, publishing nothing', async (over, field) => {
    const { service, publisher, observer } = setup();
    await rejects(service.submit({ generationId: genId, ...over }), InputError, field);
    expect(publisher.published).toEqual([]);
    expect(Object.keys(observer.submittedCounts).every((k) => k.endsWith('/rejected'))).toBe(true);
  });

  it('rejects a malformed generation id as input and an unknown one as NOT_FOUND', async () => {
    const { service, publisher } = setup();
    await rejects(service.submit({ generationId: 'nope', thumbs: 'UP' }), InputError, 'input.generationId');
    await rejects(service.submit({ generationId: '00000000-0000-4000-8000-00000000ffff', thumbs: 'UP' }), NotFoundError, 'input.generationId');
    expect(publisher.published).toEqual([]);
  });

  it('asks the lookup for a generation whose event has not arrived yet', async () => {
    const lookup = new MapLookup();
    const late = '00000000-0000-4000-8000-0000000000bb';
    lookup.facts.set(late, generationFact({ generationId: late, promptVersionId: null, promptName: null }));
    const { service, publisher } = setup({ lookup });
    await service.submit({ generationId: late, thumbs: 'DOWN' });
    expect(lookup.calls).toBe(1);
    expect(publisher.published[0]).toMatchObject({ generationId: late, promptVersionId: null, thumbs: 'DOWN' });
  });

  it('keeps NOT_FOUND, naming the input, when the lookup does not know the generation either', async () => {
    const lookup = new MapLookup();
    const { service, publisher } = setup({ lookup });
    const missing = '00000000-0000-4000-8000-00000000dead';
    const err = (await service.submit({ generationId: missing, thumbs: 'UP' }).catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.details.field).toBe('input.generationId');
    expect(err.message).toBe(`generation ${missing} is not recorded`);
    expect(lookup.asked).toEqual([missing]);
    expect(publisher.published).toEqual([]);
  });

  it('does not ask the lookup for a generation the service already knows', async () => {
    const lookup = new MapLookup();
    const { service } = setup({ lookup });
    await service.submit({ generationId: genId, score: 3 });
    expect(lookup.calls).toBe(0);
  });

  it('answers UNAVAILABLE, accepting nothing, when the lookup cannot be asked', async () => {
    const lookup = new MapLookup();
    lookup.failWith = new UnavailableError('generation');
    const { service, publisher, observer } = setup({ lookup });
    const err = await service.submit({ generationId: '00000000-0000-4000-8000-0000000000cc', thumbs: 'UP' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).dependency).toBe('generation');
    expect(publisher.published).toEqual([]);
    expect(observer.submittedCounts).toEqual({});
  });

  it('does not record what the lookup answered as a generation fact (the event does)', async () => {
    const lookup = new MapLookup();
    const late = '00000000-0000-4000-8000-0000000000bd';
    lookup.facts.set(late, generationFact({ generationId: late }));
    const { service, store } = setup({ lookup });
    await service.submit({ generationId: late, score: 5 });
    expect((await store.findGenerations([late])).size).toBe(0);
    await service.submit({ generationId: late, score: 4 });
    expect(lookup.calls).toBe(2);
  });

  it('returns what is stored for an id already applied and publishes nothing again', async () => {
    const { service, publisher, store, observer } = setup();
    const first = await service.submit({ id: '20000000-0000-4000-8000-000000000001', generationId: genId, score: 2 });
    await service.apply(publisher.published.splice(0));
    const again = await service.submit({ id: first.id, generationId: genId, score: 5, comment: 'changed my mind' });
    expect(again).toEqual(expect.objectContaining({ id: first.id, score: 2, comment: null }));
    expect(publisher.published).toEqual([]);
    expect(store.feedback.get(first.id)!.score).toBe(2);
    expect(observer.submittedCounts).toEqual({ 'score/accepted': 1, 'score/duplicate': 1 });
  });

  it('turns a publish failure into UNAVAILABLE naming kafka', async () => {
    const { service, publisher } = setup();
    publisher.fail = true;
    const err = await service.submit({ generationId: genId, thumbs: 'UP' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).dependency).toBe('kafka');
  });

  it('a publish failure gives back every input\'s id, so that a retry with them records each feedback once', async () => {
    const { service, publisher, store } = setup();
    const own = '20000000-0000-4000-8000-0000000000aa';
    publisher.fail = true;
    const err = (await service.submitBatch([{ generationId: genId, thumbs: 'UP' }, { id: own, generationId: genId, score: 3 }]).catch((e: unknown) => e)) as UnavailableError;
    const ids = err.details['ids'] as string[];
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(own);
    publisher.fail = false;
    const retried = await service.submitBatch([{ id: ids[0], generationId: genId, thumbs: 'UP' }, { id: own, generationId: genId, score: 3 }]);
    expect(retried.map((f) => f.id)).toEqual(ids);
    await service.apply(publisher.published.splice(0));
    expect([...store.feedback.keys()].sort()).toEqual([...ids].sort());
  });
});

describe('FeedbackService.submitBatch', () => {
  it('accepts all or none, naming the index at fault', async () => {
    const { service, publisher } = setup();
    await rejects(
      service.submitBatch([
        { generationId: genId, score: 3 },
        { generationId: genId, score: 9 },
      ]),
      InputError,
      'inputs.1.score',
    );
    expect(publisher.published).toEqual([]);
    const ok = await service.submitBatch([
      { generationId: genId, score: 3 },
      { generationId: genId, thumbs: 'UP' },
    ]);
    expect(ok).toHaveLength(2);
    expect(publisher.published.map((p) => p.id)).toEqual(ok.map((o) => o.id));
  });

  it('publishes an id given twice in one batch once', async () => {
    const { service, publisher } = setup();
    const id = '20000000-0000-4000-8000-000000000009';
    const out = await service.submitBatch([
      { id, generationId: genId, score: 3 },
      { id, generationId: genId, score: 3 },
    ]);
    expect(out.map((o) => o.id)).toEqual([id, id]);
    expect(publisher.published).toHaveLength(1);
  });

  it('asks the lookup once per unknown generation, a few at a time, and names the first input whose generation does not exist', async () => {
    const lookup = new MapLookup();
    const late = Array.from({ length: 6 }, (_, i) => `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
    for (const id of late) lookup.facts.set(id, generationFact({ generationId: id }));
    const store = new MemoryFeedbackStore();
    void store.recordGeneration(generationFact({ generationId: genId }));
    const publisher = new RecordingPublisher();
    const service = new FeedbackService({
      store,
      publisher,
      lookup,
      limits: { ...limits, batchMax: 20 },
      observer: new CountingObserver(),
      newId: randomUUID,
      now: () => now,
    });
    const inputs = [genId, ...late, ...late].map((generationId) => ({ generationId, thumbs: 'UP' as const }));
    await expect(service.submitBatch(inputs)).resolves.toHaveLength(13);
    expect([...lookup.asked].sort()).toEqual(late);
    expect(lookup.maxInFlight).toBeGreaterThan(1);
    expect(lookup.maxInFlight).toBeLessThanOrEqual(4);
    expect(publisher.published).toHaveLength(13);

    const missing = '00000000-0000-4000-8000-00000000beef';
    await rejects(service.submitBatch([{ generationId: late[0]!, score: 2 }, { generationId: missing, score: 2 }, { generationId: missing, score: 3 }]), NotFoundError, 'inputs.1.generationId');
    expect(publisher.published).toHaveLength(13);
  });

  it('refuses more than the configured batch size', async () => {
    const { service } = setup();
    await rejects(service.submitBatch(Array.from({ length: 5 }, () => ({ generationId: genId, thumbs: 'UP' as const }))), InputError, 'inputs');
  });
});

describe('FeedbackService.apply', () => {
  it('applies each id once, however often it is delivered, and observes only what was new', async () => {
    const { service, publisher, store, observer } = setup();
    await service.submitBatch([
      { generationId: genId, score: 4 },
      { generationId: genId, thumbs: 'UP' },
    ]);
    const events = publisher.published.splice(0);
    await service.apply(events);
    await service.apply(events);
    await service.apply([events[1]!, events[0]!]);
    expect(store.feedback.size).toBe(2);
    expect(observer.appliedEntries).toHaveLength(2);
    const m = await service.metrics(generationFact().promptVersionId!, { since: new Date('2025-12-31T00:00:00Z'), until: new Date('2026-01-02T00:00:00Z') });
    expect(m).toMatchObject({ generationCount: 1, feedbackCount: 2, averageScore: 4, thumbsUpRate: 1 });
  });

  it('refuses an event whose score is off the configured scale', async () => {
    const { service, store } = setup();
    const bad = { id: '30000000-0000-4000-8000-000000000001', generationId: genId, promptVersionId: null, promptName: null, score: 50, thumbs: null, comment: null, labels: [], user: null, createdAt: now };
    await rejects(service.apply([bad]), InputError, 'events.0.score');
    expect(store.feedback.size).toBe(0);
  });
});

describe('FeedbackService.metrics', () => {
  it('defaults to the last 24 hours and refuses an empty or too long window', async () => {
    const { service } = setup();
    const m = await service.metrics('v', {});
    expect(m.until).toEqual(now);
    expect(now.getTime() - m.since.getTime()).toBe(24 * 3600_000);
    await rejects(service.metrics('v', { since: now, until: now }), InputError, 'since');
    await rejects(service.metrics('v', { since: new Date('2020-01-01T00:00:00Z'), until: now }), InputError, 'since');
  });

  it('bounds the page of a generation feedback', async () => {
    const { service } = setup();
    await rejects(service.forGeneration(genId, 0), InputError, 'first');
    await rejects(service.forGeneration(genId, 501), InputError, 'first');
    await expect(service.forGeneration(genId, 1)).resolves.toEqual([]);
  });
});
